"""Read-model state: one document per organisation, review, recommendation, responsibility and
action. Documents are plain pydantic models so the store can keep them as JSONB and the as-of
path can build the same objects by folding events in memory.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

NO_RESPONSE = "no_response"
UNKNOWN_DELIVERY = "unknown"


class Doc(BaseModel):
    """Base of every state document: the stream version applied and the last position."""

    id: str
    version: int = 0
    last_position: int = 0


class Entry(BaseModel):
    """A history entry (a former name, a response, a progress claim, a hand-over): written
    once, with every field given, and never edited after.

    Such entries share one fields-set per class instead of a set each: a 12-field set takes
    more memory than the entry's own dict, and a rebuilt world holds about a million entries
    per million events. Pydantic only ever adds to that set names it already holds, and
    nothing here reads it (``exclude_unset`` is never used on documents).
    """

    def model_post_init(self, context: Any, /) -> None:
        every = _EVERY_FIELD.get(type(self))
        if every is None:
            every = _EVERY_FIELD[type(self)] = set(type(self).model_fields)
        if self.__pydantic_fields_set__ == every:
            object.__setattr__(self, "__pydantic_fields_set__", every)


_EVERY_FIELD: dict[type[Entry], set[str]] = {}


class FormerName(Entry):
    name: str
    until_position: int
    occurred_at: datetime | None = None
    reason: str | None = None


class Organisation(Doc):
    name: str | None = None
    """``None`` while only referenced (a placeholder, never registered)."""
    kind: str | None = None
    abbreviation: str | None = None
    description: str | None = None
    member_count: int | None = None
    members_known: bool = True
    former_names: list[FormerName] = Field(default_factory=list)
    status: str = "active"
    parent_id: str | None = None
    keeps_identity: bool | None = None
    merge_reason: str | None = None
    accountable_to_id: str | None = None
    successor_ids: list[str] = Field(default_factory=list)
    disposition: str | None = None
    status_recommendation_id: str | None = None
    registered_position: int | None = None


class Review(Doc):
    title: str | None = None
    author: str | None = None
    published_on: date | None = None
    recommendation_count: int = 0
    summary: str | None = None


class Response(Entry):
    kind: str
    text: str
    changes: list[str] = Field(default_factory=list)
    alternative: str | None = None
    lead_ids: list[str] = Field(default_factory=list)
    supporting_ids: list[str] = Field(default_factory=list)
    event_id: str
    supersedes_event_id: str | None = None
    revision_reason: str | None = None
    position: int
    occurred_at: datetime | None = None
    recorded_at: datetime


class Progress(Entry):
    status: str
    evidence: str | None = None
    target_date: date | None = None
    previous_target_date: date | None = None
    target_date_change_reason: str | None = None
    claimed_by: str
    verified_by: str | None = None
    position: int
    occurred_at: datetime | None = None
    recorded_at: datetime


class Delivery(BaseModel):
    status: str = UNKNOWN_DELIVERY
    target_date: date | None = None
    claims: list[Progress] = Field(default_factory=list)


class Recommendation(Doc):
    review_id: str | None = None
    number: str | None = None
    text: str | None = None
    parent_id: str | None = None
    cross_references: list[str] = Field(default_factory=list)
    response: Response | None = None
    revisions: list[Response] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)

    @property
    def response_kind(self) -> str:
        return self.response.kind if self.response else NO_RESPONSE


class Handover(Entry):
    """One step of a responsibility's lineage, with names as they were when it happened."""

    kind: str  # "assigned" | "transferred"
    from_id: str | None = None
    from_name: str | None = None
    to_id: str
    to_name: str | None = None
    instead_of_id: str | None = None
    instead_of_name: str | None = None
    reason: str | None = None
    recommendation_id: str | None = None
    position: int
    occurred_at: datetime | None = None
    recorded_at: datetime


class Responsibility(Doc):
    description: str | None = None
    holder_id: str | None = None
    handovers: list[Handover] = Field(default_factory=list)


class Action(Doc):
    owner_id: str | None = None
    description: str | None = None
    review_id: str | None = None
    recommendation_id: str | None = None
    delivery: Delivery = Field(default_factory=Delivery)


class World(BaseModel):
    """A set of documents: all of them (as-of folds, rebuild) or those one event touches."""

    organisations: dict[str, Organisation] = Field(default_factory=dict)
    reviews: dict[str, Review] = Field(default_factory=dict)
    recommendations: dict[str, Recommendation] = Field(default_factory=dict)
    responsibilities: dict[str, Responsibility] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(default_factory=dict)

    def org(self, org_id: str) -> Organisation:
        """The organisation, or a placeholder (a reference seen before the registration)."""
        return self.organisations.setdefault(org_id, Organisation(id=org_id))

    def org_name(self, org_id: str | None) -> str | None:
        if org_id is None:
            return None
        found = self.organisations.get(org_id)
        return found.name if found else None


KINDS = ("organisations", "reviews", "recommendations", "responsibilities", "actions")
"""The document collections of :class:`World`, in a fixed order (tables, checksums)."""
