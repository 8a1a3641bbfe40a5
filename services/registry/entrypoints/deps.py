"""FastAPI dependencies of the registry, as ``Annotated`` aliases in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from services.common.auth import Caller, require_scope
from services.registry.bootstrap import Registry
from services.registry.errors import PreconditionFailed

WRITES_LIMIT = "registry_writes"
"""The per-caller limit on commands (``REMIT_WRITE_RATE_PER_S``, ``REMIT_WRITE_BURST``)."""


async def registry(request: Request) -> Registry:
    app_registry: Registry = request.app.state.registry
    return app_registry


IF_MATCH = (
    "The version of the stream this command concerns (the route's description names it) that "
    'the command expects: an `ETag` the registry gave (`"3"`) or a bare `3`; `*` or absent: '
    "any version. Another version: 412."
)


async def expected_version(
    if_match: Annotated[str | None, Header(alias="If-Match", description=IF_MATCH)] = None,
) -> int | None:
    """``If-Match: "3"`` (an ETag the registry gave) or a bare ``3``; ``*`` means any."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match must be a stream version, got {if_match!r}")
    return int(value)


RegistryDep = Annotated[Registry, Depends(registry)]
Writer = Annotated[Caller, require_scope("registry:write", limit=WRITES_LIMIT)]
ExpectedVersion = Annotated[int | None, Depends(expected_version)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Makes a retry safe: the same key with the same body appends nothing and "
        "answers 200 with the first answer; with another body, 422. Kept for good.",
    ),
]
CorrelationId = Annotated[
    str | None,
    Header(
        alias="X-Correlation-Id",
        max_length=200,
        description="Carried by the events this command appends (`correlation_id`), and by the "
        "alerts they cause; one is made up if absent.",
    ),
]
