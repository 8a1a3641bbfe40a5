"""The contract each service publishes at ``/openapi.json``: one problem document for every
error, bearer tokens with the scopes each operation needs, and the statuses it can answer.

Routes declare what is theirs (``responses=problems(404, 409, ...)``, response models, links);
:func:`install` adds what follows from how a route is built, so it cannot be forgotten:

- a route that checks a token (:func:`services.common.auth.require_scope` and friends, which
  mark their dependency with :data:`SCOPES`) gets ``security`` (``bearer`` with its scopes, one
  alternative per scope that suffices), 401 and 403, and 429 if it is rate-limited;
- a route with parameters or a body gets 422 (the problem document with ``errors[]``, not
  FastAPI's ``detail[]``, which is never sent); a body, 413; every ``/v1`` route, 503;
- every 4xx/5xx answer is ``application/problem+json`` with the :class:`Problem` schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"
BEARER = "bearer"
SCOPES = "remit_scopes"
"""Attribute of an auth dependency: the scopes any one of which lets the caller in (empty: any
valid token)."""
RATE_LIMIT = "remit_rate_limit"
"""Attribute of an auth dependency: the name of the per-caller rate limit it applies."""

REF = "#/components/schemas/"


class ValidationIssue(BaseModel):
    location: list[str] = Field(
        description="Where: `body`, `query`, `path` or `header`, then the field's path."
    )
    message: str
    type: str = Field(description="The kind of problem, e.g. `missing`, `string_too_long`.")


class Problem(BaseModel):
    """An RFC 9457 problem document: every error every service answers has this shape."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="Always `about:blank`.")
    title: str = Field(description="Short and the same for every problem of its kind.")
    status: int = Field(description="The HTTP status, repeated.")
    detail: str | None = Field(default=None, description="What happened to this request.")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="422 only: every problem found in the request."
    )
    position: int | None = Field(
        default=None,
        description="503 of a wait (`min_position`): the position reached when it gave up.",
    )


class SourcePublic(BaseModel):
    document: str
    passage: str
    locator: str | None = None


class EventPublic(BaseModel):
    """A stored event: the envelope every event has, then the fields of its ``type`` (the
    event catalogue: ``schemas/json/<type>.json``, ``schemas/asyncapi.yaml``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    schema_version: int
    event_id: str
    stream_id: str
    stream_version: int
    occurred_at: datetime | None = Field(
        description="When it happened, if the source says (its valid time)."
    )
    recorded_at: datetime
    source: SourcePublic
    actor: str | None = Field(
        description="Who recorded it (a token's subject); null where `REMIT_EVENTS_ACCESS` "
        "withholds it."
    )
    correlation_id: str | None = Field(
        description="The request that caused it; null where `REMIT_EVENTS_ACCESS` withholds it."
    )
    causation_id: str | None = None


STATUS_TEXT = {
    400: "Bad request.",
    401: "No bearer token, or one that is not valid (expired, wrong issuer or audience, "
    "unknown key).",
    403: "The token is valid but lacks the scope this operation needs.",
    404: "Not found.",
    409: "Conflict.",
    412: "`If-Match` names a version that is not the current one (or is not a version).",
    413: "The request body is larger than `REMIT_MAX_BODY_BYTES`.",
    422: "The request is malformed or breaks a rule: `errors[]` lists what a malformed request "
    "got wrong (location, message, type).",
    429: "Too many requests from this token's subject: retry after `Retry-After` seconds.",
    503: "Not available now (database unreachable, identity provider's keys unreadable, or a "
    "wait for a position that did not end in time): retry after `Retry-After` seconds.",
}

_HEADERS = {
    401: {"WWW-Authenticate": '`Bearer realm="remit"`'},
    429: {"Retry-After": "Seconds to wait before retrying."},
    503: {"Retry-After": "Seconds to wait before retrying."},
}


def problems(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route's own error statuses, each a problem document;
    ``descriptions`` (``s404="..."``) say what the status means for this route."""
    return {
        status: {"description": descriptions.get(f"s{status}", STATUS_TEXT.get(status, "Error"))}
        for status in statuses
    }


def install(app: FastAPI, description: str = "") -> None:
    """Publish the contract described above as ``app.openapi()``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=description or app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = complete(app, schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    secured = False
    for route in _api_routes(app):
        for method in route.methods:
            operation = schema["paths"][route.path_format].get(method.lower())
            if operation is not None:
                secured |= _complete_operation(route, operation)
    for name, model in (("Problem", Problem), ("ValidationIssue", ValidationIssue)):
        schemas[name] = model.model_json_schema(ref_template=REF + "{model}")
        schemas[name].pop("$defs", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if secured:
        components.setdefault("securitySchemes", {})[BEARER] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from the identity provider (`REMIT_JWT_JWKS`; in development "
            "also `remit token`). Its `scope` claim (space-separated) must hold the scope "
            "an operation lists; `admin` stands for every scope.",
        }
    return schema


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """The app's API routes as included (an included router's own dependencies with them)."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI >= 0.160
    for route in contexts(app.routes) if contexts else app.routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute) and original.include_in_schema:
            yield route


def _complete_operation(route: Any, operation: dict[str, Any]) -> bool:
    if route.summary is None and operation.get("description"):
        first = operation["description"].split("\n\n")[0]
        operation["summary"] = " ".join(first.split()).rstrip(".")
    responses: dict[str, Any] = operation.setdefault("responses", {})
    scopes, limited = _auth_of(route.dependant)
    if scopes is not None:
        operation["security"] = [{BEARER: [s]} for s in scopes] or [{BEARER: []}]
        _add(responses, 401, 403)
        if limited:
            _add(responses, 429)
    if operation.get("parameters") or operation.get("requestBody"):
        _add(responses, 422)
        if responses["422"].get("description") == "Validation Error":  # FastAPI's own
            responses["422"]["description"] = STATUS_TEXT[422]
    if operation.get("requestBody"):
        _add(responses, 413)
    if route.path_format.startswith("/v1/"):
        _add(responses, 503)
    for status, response in responses.items():
        if status[0] in "45" and _problem_or_default(response):
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": REF + "Problem"}}}
            for name, text in _HEADERS.get(int(status), {}).items():
                response.setdefault("headers", {})[name] = {
                    "description": text,
                    "schema": {"type": "string"},
                }
    return scopes is not None


def _problem_or_default(response: dict[str, Any]) -> bool:
    """Whether an error answer is a problem document (all are, but a route's own model: the
    readiness checks' 503)."""
    schemas = [c.get("schema", {}) for c in response.get("content", {}).values()]
    return all(
        s.get("$ref") in (None, REF + "HTTPValidationError", REF + "Problem") for s in schemas
    )


def _add(responses: dict[str, Any], *statuses: int) -> None:
    for status in statuses:
        responses.setdefault(str(status), {"description": STATUS_TEXT[status]})


def _auth_of(dependant: Dependant) -> tuple[tuple[str, ...] | None, bool]:
    """The scopes the route's auth dependency accepts (None: no token checked), and whether it
    applies a rate limit."""
    for call in _calls(dependant):
        scopes = getattr(call, SCOPES, None)
        if scopes is not None:
            return tuple(scopes), getattr(call, RATE_LIMIT, None) is not None
    return None, False


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def mark(dependency: Callable[..., Any], scopes: tuple[str, ...], limit: str | None = None) -> None:
    """Say, for the published contract, which scopes ``dependency`` accepts."""
    setattr(dependency, SCOPES, scopes)
    setattr(dependency, RATE_LIMIT, limit)
