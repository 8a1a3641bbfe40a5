"""One way to expose a command over HTTP, so every write route behaves the same.

A route takes the command's fields as JSON (ids from the path), a bearer token with
``registry:write``, optional ``If-Match`` and ``Idempotency-Key``, and answers 201 with the events
appended (or 200 with the first answer when the key was seen before).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from schemas.envelope import Identifier
from services.common.tokens import Caller
from services.registry.entrypoints import contract
from services.registry.entrypoints.deps import (
    CorrelationId,
    ExpectedVersion,
    IdempotencyKey,
    RegistryDep,
    Writer,
)
from services.registry.entrypoints.models import (
    AppendedEventPublic,
    CommandAccepted,
    request_body,
)
from services.registry.service_layer.command_runner import CommandResult, SubmitOptions
from services.registry.service_layer.ports import ScopedKey, caller_scope

if TYPE_CHECKING:
    from services.registry.entrypoints.routers.writes import CommandRoute

PathId = Annotated[Identifier, Path()]
"""Path ids obey the same rule as the command fields they fill (checked before the handler)."""


def scoped(idempotency_key: str | None, caller: Caller) -> ScopedKey | None:
    """The ``Idempotency-Key`` header as ``caller``'s key (an empty header is no key)."""
    if not idempotency_key:
        return None
    return ScopedKey(caller_scope(caller.subject, caller.organisation_id), idempotency_key)


def accepted(result: CommandResult, response: Response) -> CommandAccepted:
    events = [AppendedEventPublic(**vars(e)) for e in result.events]
    positions = [e.position for e in events if e.position is not None]
    response.status_code = 200 if result.replayed else 201
    if events:
        response.headers["ETag"] = f'"{events[0].stream_version}"'
    if positions:
        response.headers["Remit-Position"] = str(max(positions))
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return CommandAccepted(
        events=events, replayed=result.replayed, position=max(positions, default=None)
    )


def add_command_route(router: APIRouter, route: CommandRoute, projections_url: str) -> None:
    """``router``: the one for ``route.prefix``; ``projections_url`` is where the read
    resources it links to are."""
    command, ids = route.command, route.path_ids
    name = "".join(part.title() for part in route.operation_id.split("_"))
    body_model = request_body(command, *ids, name=name)

    async def endpoint(**kwargs: Any) -> CommandAccepted:
        body: BaseModel = kwargs["body"]
        fields = {**body.model_dump(), **{p: kwargs[p] for p in ids}}
        try:
            cmd = command.model_validate(fields)
        except ValidationError as exc:  # body and path together may still break a rule: 422
            raise RequestValidationError(exc.errors(include_url=False)) from None
        caller = kwargs["caller"]
        options = SubmitOptions(
            scoped(kwargs["idempotency_key"], caller), kwargs["expected_version"]
        )
        result = await kwargs["registry"].submit(cmd, caller, options, kwargs["correlation_id"])
        return accepted(result, kwargs["response"])

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        *(inspect.Parameter(p, keyword, annotation=PathId) for p in ids),
        inspect.Parameter("body", keyword, annotation=body_model),
        inspect.Parameter("response", keyword, annotation=Response),
        inspect.Parameter("registry", keyword, annotation=RegistryDep),
        inspect.Parameter("caller", keyword, annotation=Writer),
        inspect.Parameter("expected_version", keyword, annotation=ExpectedVersion),
        inspect.Parameter("idempotency_key", keyword, annotation=IdempotencyKey, default=None),
        inspect.Parameter("correlation_id", keyword, annotation=CorrelationId, default=None),
    ]
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = route.operation_id
    router.add_api_route(
        route.path.removeprefix(route.prefix),
        endpoint,
        methods=["POST"],
        summary=route.summary,
        description=contract.describe(route.stream, route.concurrency_note),
        response_model=CommandAccepted,
        status_code=201,
        responses=contract.responses(route.reads, route.follows, ids, projections_url),
        name=route.operation_id,
    )
