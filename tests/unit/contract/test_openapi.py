"""The three OpenAPI documents are a contract a client can be generated from (no I/O).

Walks each service's document: every answer has a real schema (no ``{}`` anywhere a response
reaches), every error is the one problem document, every operation that checks a token says
with which scopes and documents 401 and 403, every operation with parameters documents 422,
and every link points at an operation that exists, with parameters it has.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from services.notifier.entrypoints.app import create_app as notifier_app
from services.projections.entrypoints.app import create_app as projections_app
from services.registry.config import RegistrySettings
from services.registry.entrypoints.app import create_app as registry_app
from services.registry.entrypoints.contract import READ_PATHS

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def documents() -> dict[str, dict[str, Any]]:
    apps: dict[str, FastAPI] = {
        "registry": registry_app(),
        "registry (events: token)": registry_app(RegistrySettings(events_access="token")),
        "projections": projections_app(),
        "notifier": notifier_app(),
    }
    return {name: app.openapi() for name, app in apps.items()}


DOCUMENTS = documents()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


def empty_schemas(doc: dict[str, Any], schema: Any, where: str, seen: set[str]) -> Iterator[str]:
    """Every ``{}`` reachable from ``schema`` (refs followed once)."""
    if not isinstance(schema, dict):
        return
    if schema == {} or set(schema) <= {"title", "description", "default"}:
        yield where
        return
    if (ref := schema.get("$ref")) is not None:
        if ref not in seen:
            seen.add(ref)
            yield from empty_schemas(doc, resolve(doc, schema), ref, seen)
        return
    for key in ("items", "additionalProperties"):
        yield from empty_schemas(doc, schema.get(key), f"{where}.{key}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, part in enumerate(schema.get(key, [])):
            yield from empty_schemas(doc, part, f"{where}.{key}[{i}]", seen)
    for name, prop in schema.get("properties", {}).items():
        yield from empty_schemas(doc, prop, f"{where}.{name}", seen)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_answer_has_an_empty_schema(name: str) -> None:
    doc = DOCUMENTS[name]
    found = []
    for path, method, operation in operations(doc):
        for status, response in operation["responses"].items():
            if status in ("204", "304"):
                assert "content" not in response, (path, status)
                continue
            assert response.get("content"), f"{method} {path} {status}: no content"
            for kind, content in response["content"].items():
                where = f"{method.upper()} {path} {status} {kind}"
                found += list(empty_schemas(doc, content.get("schema", {}), where, set()))
    assert found == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_error_is_the_problem_document(name: str) -> None:
    doc = DOCUMENTS[name]
    assert {"Problem", "ValidationIssue"} <= set(doc["components"]["schemas"])
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, method, operation in operations(doc):
        for status, response in operation["responses"].items():
            if status[0] in "45" and path not in ("/readyz",):
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )
                assert response["description"], (method, path, status)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], (method, path)
        if operation.get("requestBody"):
            assert "413" in operation["responses"], (method, path)
        if path.startswith("/v1/"):
            assert "503" in operation["responses"], (method, path)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_operations_that_need_a_token_say_which_scopes(name: str) -> None:
    doc = DOCUMENTS[name]
    secured = 0
    for path, method, operation in operations(doc):
        assert operation["operationId"] and operation["summary"], (method, path)
        if "security" not in operation:
            continue
        secured += 1
        scopes = [scope for requirement in operation["security"] for scope in requirement["bearer"]]
        assert scopes, (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
    if secured:
        scheme = doc["components"]["securitySchemes"]["bearer"]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))


def test_who_may_read_the_feed_is_published() -> None:
    open_feed = DOCUMENTS["registry"]["paths"]["/v1/events"]["get"]
    closed = DOCUMENTS["registry (events: token)"]["paths"]["/v1/events"]["get"]
    assert "security" not in open_feed
    assert closed["security"] == [{"bearer": ["events:read"]}]
    stream = DOCUMENTS["registry"]["paths"]["/v1/streams/{stream_id}"]["get"]
    assert "ETag" in stream["responses"]["200"]["headers"]
    writes = [op for p, m, op in operations(DOCUMENTS["registry"]) if m == "post"]
    assert writes and all(op["security"] == [{"bearer": ["registry:write"]}] for op in writes)
    assert all("If-Match" in op["description"] for op in writes)
    assert all("412" in op["responses"] and "409" in op["responses"] for op in writes)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_link_leads_to_an_operation_with_those_parameters(name: str) -> None:
    doc = DOCUMENTS[name]
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    projections = {op["operationId"]: (p, op) for p, _, op in operations(DOCUMENTS["projections"])}
    linked = 0
    for path, method, operation in operations(doc):
        for status, response in operation["responses"].items():
            for link_name, link in response.get("links", {}).items():
                linked += 1
                if "operationRef" in link:
                    target_path = link["operationRef"].split("#/paths/")[1].removesuffix("/get")
                    target_path = target_path.replace("~1", "/").replace("~0", "~")
                    [(op_id, (found_path, target))] = [
                        (k, v) for k, v in projections.items() if v[0] == target_path
                    ]
                    assert READ_PATHS[op_id] == found_path
                else:
                    target = by_id[link["operationId"]]
                names = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])} | {
                    p["name"] for p in target.get("parameters", []) if p["in"] != "header"
                }
                for parameter in link["parameters"]:
                    assert parameter in names, (method, path, status, link_name, parameter)
    if name != "projections":
        assert linked > 5
