"""Dead letters: what the consumer could not project, and their acknowledgement (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.projections.adapters import dead_letters
from services.projections.entrypoints.deps import Admin, Wired
from services.projections.errors import NotFound

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


@router.get("")
async def list_dead_letters(
    wired: Wired, caller: Admin, include_acknowledged: bool = False
) -> dict[str, Any]:
    """Dead letters (unacknowledged ones unless asked); any keeps the model degraded."""
    async with wired.engine.connect() as conn:
        control = wired.settings.db_schema
        items = await dead_letters.listing(conn, control, include_acknowledged)
        open_count = await dead_letters.unacknowledged(conn, control)
    return {"degraded": open_count > 0, "unacknowledged": open_count, "items": items}


@router.post("/{letter_id}/acknowledge")
async def acknowledge(wired: Wired, caller: Admin, letter_id: int) -> dict[str, Any]:
    """Acknowledge a dead letter: an operator has dealt with it."""
    async with wired.engine.begin() as conn:
        control = wired.settings.db_schema
        if not await dead_letters.acknowledge(conn, control, letter_id, caller.subject):
            raise NotFound(f"no dead letter {letter_id}")
        open_count = await dead_letters.unacknowledged(conn, control)
    return {"id": letter_id, "acknowledged": True, "degraded": open_count > 0}
