"""Corrections: how earlier records are fixed without editing them.

A :class:`RecordsCorrected` event is appended to each stream a correction touches. It retracts
events of that stream (they are treated as never recorded) and/or replaces them (the
replacement takes the retracted event's place, its ``stream_version``). Both carry the event as
it stood, so a consumer needs no state to see what changed. :func:`effective` is the one
reading of a stream that every consumer applies before folding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from schemas import organisations, responsibilities, reviews
from schemas.changes import ChangeTookEffect, ChangeWithdrawn
from schemas.envelope import Contract, DomainEvent, Text

Correctable = (
    organisations.OrganisationRegistered
    | organisations.OrganisationRenamed
    | organisations.OrganisationMerged
    | organisations.OrganisationDissolved
    | organisations.AccountabilityAssigned
    | reviews.ReviewPublished
    | reviews.RecommendationRecorded
    | reviews.RecommendationAccepted
    | reviews.RecommendationAdapted
    | reviews.RecommendationDeferred
    | reviews.RecommendationRejected
    | reviews.ImplementationProgressRecorded
    | responsibilities.ResponsibilityAssigned
    | responsibilities.ResponsibilityTransferred
    | responsibilities.ActionCommitted
    | responsibilities.ActionTransferred
    | ChangeTookEffect
    | ChangeWithdrawn
)
"""Every event type a correction can retract or put in place (all but corrections)."""

CorrectableEvent = Annotated[Correctable, Field(discriminator="type")]


class RetractedRecord(Contract):
    """An event treated from now on as never recorded, as it stood when retracted."""

    stream_version: int = Field(ge=1)
    event: CorrectableEvent


class ReplacedRecord(Contract):
    """An event, as it stood, and what takes its place (same stream and stream version)."""

    stream_version: int = Field(ge=1)
    event: CorrectableEvent
    replacement: CorrectableEvent


class RecordsCorrected(DomainEvent):
    """Earlier events of this stream are retracted or replaced (``reason``, ``source`` and
    ``actor`` say why, on what authority, and who). One correction touching several streams
    appends one of these to each, sharing ``correction_id``."""

    type: Literal["RecordsCorrected"] = "RecordsCorrected"
    schema_version: Literal[1] = 1
    correction_id: UUID
    reason: Text
    retracted: tuple[RetractedRecord, ...] = ()
    replaced: tuple[ReplacedRecord, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> RecordsCorrected:
        if not self.retracted and not self.replaced:
            raise ValueError("a correction retracts or replaces at least one event")
        slots = [r.stream_version for r in self.retracted] + [
            r.stream_version for r in self.replaced
        ]
        if len(set(slots)) != len(slots):
            raise ValueError("a stream version is corrected twice in one correction")
        nested = [r.event for r in self.retracted] + [
            e for r in self.replaced for e in (r.event, r.replacement)
        ]
        if any(e.stream_id != self.stream_id for e in nested):
            raise ValueError("a correction touches only events of its own stream")
        if any(e.stream_version >= self.stream_version for e in nested):
            raise ValueError("a correction touches only events recorded before it")
        records: list[RetractedRecord | ReplacedRecord] = [*self.retracted, *self.replaced]
        if any(r.event.stream_version != r.stream_version for r in records):
            raise ValueError("event and stream_version disagree")
        for replaced in self.replaced:
            if replaced.replacement.stream_version != replaced.stream_version:
                raise ValueError("a replacement takes the stream version of what it replaces")
        return self


def effective_slots(events: Iterable[DomainEvent]) -> dict[int, DomainEvent]:
    """A stream's events as corrected, by stream version: each :class:`RecordsCorrected`
    removes the events it retracts and puts replacements in their place; corrections
    themselves are left out."""
    slots: dict[int, DomainEvent] = {}
    for event in events:
        if isinstance(event, RecordsCorrected):
            for retracted in event.retracted:
                slots.pop(retracted.stream_version, None)
            for replaced in event.replaced:
                slots[replaced.stream_version] = replaced.replacement
        else:
            slots[event.stream_version] = event
    return slots


def effective(events: Iterable[DomainEvent]) -> list[DomainEvent]:
    """:func:`effective_slots` in stream-version order: what every fold of a stream reads."""
    slots = effective_slots(events)
    return [slots[version] for version in sorted(slots)]
