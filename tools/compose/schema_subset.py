"""A small JSON Schema validator for the keywords the Compose Specification schema uses.

The ``jsonschema`` package is not a dependency of this project, so the compose test validates with
this instead (and with ``jsonschema`` as well when it is installed). It implements exactly the
keywords in :data:`SUPPORTED`; a schema with any other keyword is refused with
:class:`UnsupportedKeyword` rather than half-checked, so a newer vendored schema cannot pass
silently. ``format`` is an annotation here, as it is by default in JSON Schema validators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

ANNOTATIONS = frozenset(
    {"$schema", "id", "$id", "title", "description", "deprecated", "definitions", "format"}
)
SUPPORTED = ANNOTATIONS | {
    "$ref", "type", "enum", "properties", "patternProperties", "additionalProperties",
    "required", "items", "uniqueItems", "minimum", "maximum", "oneOf", "anyOf", "allOf", "not",
}  # fmt: skip

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


class UnsupportedKeyword(ValueError):
    """The schema uses a keyword this validator does not implement."""


def check_supported(schema: Any, root: Any = None, where: str = "#") -> None:
    """Raise :class:`UnsupportedKeyword` if a subschema reachable from ``root`` (following
    ``$ref``) uses a keyword outside SUPPORTED."""
    root = schema if root is None else root
    _check(schema, root, where, set())


def _check(schema: Any, root: Any, where: str, seen: set[str]) -> None:
    if isinstance(schema, list):
        for i, sub in enumerate(schema):
            _check(sub, root, f"{where}/{i}", seen)
        return
    if not isinstance(schema, dict):
        return
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise UnsupportedKeyword(f"{where}: {sorted(unknown)}")
    if isinstance(schema.get("items"), list):
        raise UnsupportedKeyword(f"{where}/items: the tuple form is not supported")
    ref = schema.get("$ref")
    if ref is not None and ref not in seen:
        seen.add(ref)
        _check(_resolve(root, ref), root, ref, seen)
    for key, value in schema.items():
        if key in ("properties", "patternProperties"):
            for name, sub in value.items():
                _check(sub, root, f"{where}/{key}/{name}", seen)
        elif key not in ANNOTATIONS and key not in ("enum", "required", "type", "$ref"):
            _check(value, root, f"{where}/{key}", seen)


def errors(instance: Any, schema: Any, root: Any = None, path: str = "") -> Iterator[str]:
    """Every violation of ``schema`` by ``instance``, as ``"path: message"`` lines."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return
    if schema is False:
        yield f"{path or '/'}: not allowed"
        return
    if "$ref" in schema:
        yield from errors(instance, _resolve(root, schema["$ref"]), root, path)
    yield from _scalar(instance, schema, path)
    yield from _combinators(instance, schema, root, path)
    if isinstance(instance, dict):
        yield from _object(instance, schema, root, path)
    if isinstance(instance, list):
        yield from _array(instance, schema, root, path)


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise UnsupportedKeyword(f"only local $ref is supported: {ref}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _scalar(instance: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_TYPES[name](instance) for name in names):
            yield f"{path or '/'}: {instance!r} is not of type {names}"
    if "enum" in schema and instance not in schema["enum"]:
        yield f"{path or '/'}: {instance!r} is not one of {schema['enum']}"
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            yield f"{path or '/'}: {instance} < minimum {schema['minimum']}"
        if "maximum" in schema and instance > schema["maximum"]:
            yield f"{path or '/'}: {instance} > maximum {schema['maximum']}"


def _combinators(instance: Any, schema: dict[str, Any], root: Any, path: str) -> Iterator[str]:
    if "allOf" in schema:
        for sub in schema["allOf"]:
            yield from errors(instance, sub, root, path)
    if "anyOf" in schema and not any(_valid(instance, s, root) for s in schema["anyOf"]):
        yield f"{path or '/'}: matches none of anyOf"
    if "oneOf" in schema:
        matched = sum(_valid(instance, s, root) for s in schema["oneOf"])
        if matched != 1:
            yield f"{path or '/'}: matches {matched} of oneOf (needs exactly 1)"
    if "not" in schema and _valid(instance, schema["not"], root):
        yield f"{path or '/'}: matches a 'not' schema"


def _object(
    instance: dict[str, Any], schema: dict[str, Any], root: Any, path: str
) -> Iterator[str]:
    for name in schema.get("required", []):
        if name not in instance:
            yield f"{path or '/'}: {name!r} is required"
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    additional = schema.get("additionalProperties", True)
    for key, value in instance.items():
        where = f"{path}/{key}"
        matched = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
        if key in properties:
            matched.append(properties[key])
        for sub in matched:
            yield from errors(value, sub, root, where)
        if not matched and additional is False:
            yield f"{where}: additional property not allowed"
        elif not matched and isinstance(additional, dict):
            yield from errors(value, additional, root, where)


def _array(instance: list[Any], schema: dict[str, Any], root: Any, path: str) -> Iterator[str]:
    items = schema.get("items")
    if isinstance(items, dict):
        for i, value in enumerate(instance):
            yield from errors(value, items, root, f"{path}/{i}")
    if schema.get("uniqueItems"):
        seen = [json.dumps(v, sort_keys=True) for v in instance]
        if len(seen) != len(set(seen)):
            yield f"{path or '/'}: items are not unique"


def _valid(instance: Any, schema: Any, root: Any) -> bool:
    return next(errors(instance, schema, root), None) is None
