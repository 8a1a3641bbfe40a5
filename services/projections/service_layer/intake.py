"""Which consumed records are folded: one rule for the live consumer and the rebuild.

A record is decoded and placed against its partition's checkpoint, which moves past it: an
undecodable record is dead-lettered, a duplicate position skipped, a gap applied but kept as an
anomaly (see :mod:`..domain.ordering`). An event that cannot be applied is dead-lettered with
the error as its reason.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from schemas.wire import PositionedEvent, UndecodableRecord, decode_record_fast
from services.common.dead_letters import (
    APPLY_ERROR,
    POSITION_GAP,
    UNDECODABLE,
    DeadLetter,
    dead_letter,
)
from services.projections.domain.ordering import standing
from services.projections.service_layer.ports import Checkpoint


class Admitted(NamedTuple):
    positioned: PositionedEvent | None
    """The event to fold; None for an undecodable record or a duplicate."""
    letter: DeadLetter | None
    """An undecodable record, or a gap (whose event is folded all the same)."""


def admit(cp: Checkpoint, consumer: str, record: Any) -> Admitted:
    """Decode ``record`` and place it against ``cp``, moving ``cp`` past it."""
    cp.offset = record.offset
    try:
        positioned = decode_record_fast(record.key, record.value, record.headers)
    except UndecodableRecord as exc:
        return Admitted(None, dead_letter(UNDECODABLE, consumer, record, str(exc)))
    position = positioned.position
    where = standing(cp.position, position)
    if where == "duplicate":
        return Admitted(None, None)
    letter = None
    if where == "gap":
        reason = f"position {position} follows {cp.position}: a gap"
        letter = dead_letter(POSITION_GAP, consumer, record, reason, position)
    cp.position = position
    return Admitted(positioned, letter)


def apply_error(consumer: str, record: Any, position: int, exc: Exception) -> DeadLetter:
    """The dead letter of an event that could not be applied."""
    reason = f"{type(exc).__name__}: {exc}"
    return dead_letter(APPLY_ERROR, consumer, record, reason, position)
