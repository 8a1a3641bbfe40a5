"""``/v1/dead-letters``: the same two routes on every consumer (admin only).

``GET`` lists them (unacknowledged ones unless asked), ``POST /{id}/acknowledge`` records that
an operator dealt with one; the service stays ``degraded`` while any is open.

(No ``from __future__ import annotations`` here: the routes' annotations name aliases local to
:func:`dead_letter_router`, which FastAPI must see as objects, not strings.)
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field

from services.common.auth import Caller, require_scope
from services.common.dead_letters import DeadLetterStore
from services.common.openapi import problems

LetterId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A dead letter's id.")]


class DeadLetterPublic(BaseModel):
    id: int
    kind: str = Field(description="undecodable, apply_error or position_gap")
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    position: int | None
    reason: str
    headers: list[tuple[str, str]] = Field(description="The record's headers.")
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    value: str | None = Field(description="The record's value (first 2000 bytes).")


class DeadLetters(BaseModel):
    degraded: bool
    unacknowledged: int
    items: list[DeadLetterPublic]


class DeadLetterAcknowledged(BaseModel):
    id: int
    acknowledged: bool
    degraded: bool


def dead_letter_router(store_of: Callable[[Request], DeadLetterStore]) -> APIRouter:
    """The routes over the store ``store_of(request)`` returns."""
    router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])
    Admin = Annotated[Caller, require_scope("admin")]  # noqa: N806
    Store = Annotated[DeadLetterStore, Depends(store_of)]  # noqa: N806

    @router.get("", response_model=DeadLetters)
    async def list_dead_letters(
        caller: Admin, store: Store, include_acknowledged: bool = False
    ) -> DeadLetters:
        """Dead letters (unacknowledged ones unless asked); any keeps the service degraded."""
        rows = await store.listing(include_acknowledged)
        open_count = await store.unacknowledged()
        items = [DeadLetterPublic.model_validate(row) for row in rows]
        return DeadLetters(degraded=open_count > 0, unacknowledged=open_count, items=items)

    @router.post(
        "/{letter_id}/acknowledge",
        response_model=DeadLetterAcknowledged,
        responses=problems(404, s404="No dead letter with this id."),
        name="acknowledge_dead_letter",
    )
    async def acknowledge(
        letter_id: LetterId, caller: Admin, store: Store
    ) -> DeadLetterAcknowledged:
        """Acknowledge a dead letter: an operator has dealt with it."""
        if not await store.acknowledge(letter_id, caller.subject):
            raise HTTPException(404, f"no dead letter {letter_id}")
        open_count = await store.unacknowledged()
        return DeadLetterAcknowledged(id=letter_id, acknowledged=True, degraded=open_count > 0)

    return router
