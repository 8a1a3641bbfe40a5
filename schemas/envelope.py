"""The envelope every Remit event carries, and the value types events share.

Events are the wire contract: frozen, past-tense, versioned. Each concrete event class pins its
``type`` and ``schema_version`` with ``Literal`` so a payload names exactly one class and version.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

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


class DomainEvent(Contract):
    """Fields common to every event.

    ``occurred_at`` is when the fact took effect in the world; ``None`` means the source does not
    say. ``recorded_at`` is when Remit stored it. The global position is not part of the event: the
    store assigns it after commit and the wire carries it as a CloudEvents extension.
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
    "Contract",
    "DeliveryStatus",
    "DomainEvent",
    "Identifier",
    "OrganisationKind",
    "ShortText",
    "Source",
    "Text",
]
