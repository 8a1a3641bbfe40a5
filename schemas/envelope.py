"""The envelope every Remit event carries, and the value types events share.

Events are the wire contract: frozen, past-tense, versioned. Each concrete event class pins its
``type`` and ``schema_version`` with ``Literal`` so a payload names exactly one class and version.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._:-]*$"),
]
"""A stable, human-readable id such as ``nhs-improvement`` or ``smith-2015:rec-9``."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Contract(BaseModel):
    """Base for all wire models: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Contract):
    """Where a fact comes from: the document, and the passage quoted from it."""

    document: ShortText
    passage: Text
    locator: ShortText | None = Field(
        default=None, description="Where in the document, e.g. 'Recommendation 9'."
    )


class DeliveryStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class OrganisationKind(StrEnum):
    GOVERNMENT_DEPARTMENT = "government_department"
    ARMS_LENGTH_BODY = "arms_length_body"
    GOVERNING_BOARD = "governing_board"
    NETWORK = "network"
    TEAM = "team"
    GROUP_OF_BODIES = "group_of_bodies"
    OTHER = "other"


class ChangeStage(StrEnum):
    """Whether a change to a body, a responsibility or an action has happened.

    ``announced``: a source says it will happen (it is not part of the current state until a
    ``ChangeTookEffect`` names it). ``in_effect``: the source states it as done.
    """

    ANNOUNCED = "announced"
    IN_EFFECT = "in_effect"


class BodyRole(StrEnum):
    """How a recommendation (or the government's response to it) names a body.

    ``member_of`` and ``accountable_to`` relate the body to another (``related_id``): it is a
    member of that body, or accountable to it. Views show the inverse on the related body
    (``composed_of``, ``oversees``).
    """

    LEAD = "lead"
    SUPPORTING = "supporting"
    NOT_LEADING = "not_leading"
    NAMED = "named"
    SUBJECT = "subject"
    RECIPIENT = "recipient"
    ORIGINALLY_PROPOSED = "originally_proposed"
    MEMBER_OF = "member_of"
    ACCOUNTABLE_TO = "accountable_to"


RELATING_ROLES = frozenset({BodyRole.MEMBER_OF, BodyRole.ACCOUNTABLE_TO})
"""Roles that relate the named body to another one (``related_id`` required)."""


class NamedBody(Contract):
    """A body named by a recommendation or a response, in one role, with the words that say so."""

    organisation_id: Identifier
    role: BodyRole
    related_id: Identifier | None = Field(
        default=None, description="For member_of / accountable_to: the other body."
    )
    quote: Text | None = Field(default=None, description="The words of the source that give it.")

    @model_validator(mode="after")
    def _related_only_where_it_means_something(self) -> NamedBody:
        if (self.role in RELATING_ROLES) != (self.related_id is not None):
            raise ValueError(
                f"related_id is required for {sorted(RELATING_ROLES)} and only for them"
            )
        if self.related_id == self.organisation_id:
            raise ValueError("a body cannot be related to itself")
        return self


class DatedFact(Contract):
    """A date the source gives, with where it says so; ``on`` is None when it does not say."""

    on: date | None = None
    source: Source | None = None


class DomainEvent(Contract):
    """Fields common to every event.

    ``occurred_at`` is the fact's valid time, as the source gives it: when a change took effect,
    when an announcement was made, when a decision was taken; ``None`` means the source does not
    say. ``recorded_at`` is when Remit stored it (an upper bound of the valid time of any fact
    stated as done). The global position is not part of the event: the store assigns it after
    commit and the wire carries it as a CloudEvents extension.
    """

    type: str
    schema_version: int
    event_id: UUID
    stream_id: Identifier
    stream_version: int = Field(ge=1)
    occurred_at: AwareDatetime | None = None
    recorded_at: AwareDatetime
    source: Source
    actor: ShortText
    correlation_id: ShortText
    causation_id: ShortText | None = None


__all__ = [
    "RELATING_ROLES",
    "BodyRole",
    "ChangeStage",
    "Contract",
    "DatedFact",
    "DeliveryStatus",
    "DomainEvent",
    "Identifier",
    "NamedBody",
    "OrganisationKind",
    "ShortText",
    "Source",
    "Text",
]
