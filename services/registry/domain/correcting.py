"""Corrections decided: what a stream becomes, whether it still holds together, and the
``RecordsCorrected`` event that says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas.corrections import RecordsCorrected, ReplacedRecord, RetractedRecord, effective_slots
from schemas.envelope import DomainEvent
from services.registry.domain.context import Context
from services.registry.domain.history import Fold, fold_all
from services.registry.errors import DomainRuleViolated, InconsistentHistory


@dataclass
class StreamCorrection:
    """What one correction does to one stream: slots retracted, and replacements by slot."""

    stream_id: str
    stored: list[DomainEvent]
    retract: set[int] = field(default_factory=set)
    replace: dict[int, DomainEvent] = field(default_factory=dict)

    def before(self) -> dict[int, DomainEvent]:
        """The stream as corrected so far (before this correction)."""
        return effective_slots(self.stored)

    def after(self) -> dict[int, DomainEvent]:
        slots = {v: e for v, e in self.before().items() if v not in self.retract}
        slots.update(self.replace)
        return slots

    def prefix(self, slot: int) -> list[DomainEvent]:
        """The stream as this correction leaves it, before ``slot``: what a replacement at
        ``slot`` is decided against."""
        after = self.after()
        return [after[v] for v in sorted(after) if v < slot]

    def touch(self, slot: int) -> DomainEvent:
        """The event now at ``slot`` (refused if none is, or it is corrected twice here)."""
        found = self.before().get(slot)
        if found is None:
            raise DomainRuleViolated(
                f"{self.stream_id} v{slot}: no such event (never recorded, or retracted)"
            )
        if slot in self.retract or slot in self.replace:
            raise DomainRuleViolated(f"{self.stream_id} v{slot} is corrected twice")
        return found


def check(correction: StreamCorrection, fold: Fold[Any]) -> None:
    """The corrected stream must fold: every event still fits what comes before it."""
    after = correction.after()
    try:
        fold_all(fold, [after[v] for v in sorted(after)])
    except InconsistentHistory as exc:
        raise DomainRuleViolated(
            f"the corrected history of {correction.stream_id} would not hold together "
            f"({str(exc).split(': ', 1)[-1]}): correct the events that depend on it in the "
            "same command"
        ) from exc


def corrections(
    streams: list[StreamCorrection],
    fold_for: Callable[[str], Fold[Any]],
    reason: str,
    ctx: Context,
) -> list[DomainEvent]:
    """One ``RecordsCorrected`` per stream touched, sharing a correction id."""
    correction_id = ctx.new_id()
    events: list[DomainEvent] = []
    for stream in streams:
        check(stream, fold_for(stream.stream_id))
        before = stream.before()
        events.append(
            ctx.stamp(
                RecordsCorrected,
                stream.stream_id,
                stream.stored[-1].stream_version + 1,
                correction_id=correction_id,
                reason=reason,
                retracted=[
                    RetractedRecord(stream_version=v, event=before[v])
                    for v in sorted(stream.retract)
                ],
                replaced=[
                    ReplacedRecord(stream_version=v, event=before[v], replacement=new)
                    for v, new in sorted(stream.replace.items())
                ],
            )
        )
    return events
