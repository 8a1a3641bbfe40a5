"""Changes that can be announced before they happen, and the events that settle them.

A change to a body, a responsibility or an action (a :class:`StagedChange`) is recorded either as
``in_effect`` (the source states it as done) or as ``announced`` (the source says it will
happen). An announced change becomes part of the current state only when a
:class:`ChangeTookEffect` in the same stream names it, with its own date and source; a
:class:`ChangeWithdrawn` closes it without effect.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from schemas.envelope import ChangeStage, Contract, DomainEvent, Identifier, ShortText, Text


class Staging(Contract):
    """Whether a change is stated as done or announced, and when an announced one is expected:
    the one rule for the change events and for the commands that ask for them (each gives
    ``stage`` its own default and description)."""

    stage: ChangeStage
    expected_on: date | None = Field(
        default=None, description="For an announced change: when it is expected, if said."
    )

    @model_validator(mode="after")
    def _expected_only_when_announced(self) -> Self:
        if self.expected_on is not None and self.stage is not ChangeStage.ANNOUNCED:
            raise ValueError("expected_on applies only to an announced change")
        return self

    @property
    def announced(self) -> bool:
        return self.stage is ChangeStage.ANNOUNCED


class Justification(Contract):
    """Why a change is made (``reason``) and the recommendation it answers, when they are said."""

    reason: Text | None = None
    recommendation_id: Identifier | None = None


class StagedChange(Staging, DomainEvent):
    """Base of the events that change a body, a responsibility or an action."""

    stage: ChangeStage = Field(
        description="announced: a source says it will happen; in_effect: stated as done."
    )


class JustifiedChange(Justification, StagedChange):
    """A staged change that may say why (``reason``) and answer a recommendation."""


class Settlement(DomainEvent):
    """Base of the events that settle an announced change: which one they settle."""

    announced_event_id: UUID = Field(description="The event that announced the change.")
    announced_stream_version: int = Field(ge=1)
    change_type: ShortText = Field(description="Type of the announced event.")


class ChangeTookEffect(Settlement):
    """An announced change happened; ``occurred_at`` is when, if the source says."""

    type: Literal["ChangeTookEffect"] = "ChangeTookEffect"
    schema_version: Literal[1] = 1
    note: Text | None = None


class ChangeWithdrawn(Settlement):
    """An announced change will not happen (as announced): it is closed without effect."""

    type: Literal["ChangeWithdrawn"] = "ChangeWithdrawn"
    schema_version: Literal[1] = 1
    reason: Text


class UnknownAnnouncement(ValueError):
    """A ChangeTookEffect or ChangeWithdrawn names no pending announcement of its stream."""


Pending = tuple[StagedChange, ...]


def route(pending: Pending, event: DomainEvent) -> tuple[Pending, StagedChange | None]:
    """The one rule for announcements, applied by every fold: given a stream's pending
    announcements and its next (effective) event, the pending announcements after it and the
    change, if any, that is in effect from this event on.

    An announced change waits in ``pending``; ``ChangeTookEffect`` puts it in effect;
    ``ChangeWithdrawn`` drops it; a change recorded as in effect is in effect at once.
    """
    if isinstance(event, ChangeTookEffect | ChangeWithdrawn):
        found = [c for c in pending if c.event_id == event.announced_event_id]
        if not found:
            raise UnknownAnnouncement(
                f"{event.stream_id}: no pending announcement {event.announced_event_id}"
            )
        rest = tuple(c for c in pending if c.event_id != event.announced_event_id)
        return rest, found[0] if isinstance(event, ChangeTookEffect) else None
    if isinstance(event, StagedChange) and event.announced:
        return (*pending, event), None
    return pending, event if isinstance(event, StagedChange) else None
