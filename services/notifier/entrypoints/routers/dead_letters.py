"""/v1/dead-letters: what the consumer could not decode or ingest, and acknowledgement (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.notifier.entrypoints.deps import Admin, NotifierDep
from services.notifier.entrypoints.models import (
    DeadLetterAcknowledged,
    DeadLetterPublic,
    DeadLetters,
)
from services.notifier.errors import NotFound

LetterId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A dead letter's id.")]
router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


@router.get("", response_model=DeadLetters)
async def list_dead_letters(
    caller: Admin, n: NotifierDep, include_acknowledged: bool = False
) -> DeadLetters:
    """Dead letters (unacknowledged ones unless asked); any keeps the notifier degraded."""
    rows = await n.dead_letters.listing(include_acknowledged)
    open_count = await n.dead_letters.unacknowledged()
    items = [DeadLetterPublic.model_validate(r) for r in rows]
    return DeadLetters(degraded=open_count > 0, unacknowledged=open_count, items=items)


@router.post("/{letter_id}/acknowledge", response_model=DeadLetterAcknowledged)
async def acknowledge(letter_id: LetterId, caller: Admin, n: NotifierDep) -> DeadLetterAcknowledged:
    """Acknowledge a dead letter: an operator has dealt with it."""
    if not await n.dead_letters.acknowledge(letter_id, caller.subject):
        raise NotFound(f"no dead letter {letter_id}")
    open_count = await n.dead_letters.unacknowledged()
    return DeadLetterAcknowledged(id=letter_id, acknowledged=True, degraded=open_count > 0)
