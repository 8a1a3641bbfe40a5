"""Read-model state: one document per organisation, review, recommendation, responsibility and
action. Documents are plain pydantic models so the store can keep them as JSONB and the as-of
path can build the same objects by folding events in memory.

Positions in documents are *fact keys*: the position of the stored event whose place (stream
version) the fact holds. A replacement made by a correction keeps the key of the event it
replaced, so history reads in stream order whatever was corrected later. The valid time of each
fact lives with the stored events (its bounds change as later facts arrive); views look it up.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from schemas import streams
from services.projections.domain.validity import Valid

NO_RESPONSE = "no_response"
UNKNOWN_DELIVERY = "unknown"

ANNOUNCED = "announced"
IN_EFFECT = "in_effect"
TOOK_EFFECT = "took_effect"
WITHDRAWN = "withdrawn"
STAGES = (IN_EFFECT, TOOK_EFFECT, ANNOUNCED, WITHDRAWN)
"""A change's stage in a history: recorded in effect; announced, then took effect; announced
and pending; announced, then withdrawn."""


class Doc(BaseModel):
    """Base of every state document: the stream version applied and the last position; the
    fact that created it, the stream's latest fact, and their lower bounds of valid time (what
    a later fact depends on)."""

    id: str
    version: int = 0
    last_position: int = 0
    created_position: int | None = None
    created_lo: datetime | None = None
    last_fact_position: int | None = None
    last_fact_lo: datetime | None = None
    corrections: list[CorrectionEntry] = Field(default_factory=list)


class Entry(BaseModel):
    """A history entry (a former name, a response, a progress claim, a change): written once,
    with every field given, and never edited after (a settled change is a new entry in its
    place).

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


class SourceRef(Entry):
    document: str
    passage: str
    locator: str | None = None


class CorrectedRecord(Entry):
    type: str
    stream_version: int
    before: str
    after: str | None = None
    """None: retracted."""


class CorrectionEntry(Entry):
    """A correction of the document's stream: what it retracted or replaced, why, on whose
    authority."""

    correction_id: str
    position: int
    recorded_at: datetime
    reason: str
    actor: str
    source: SourceRef
    records: list[CorrectedRecord] = Field(default_factory=list)


class Change(Entry):
    """A change to a body, a responsibility or an action, and where it stands: ``stage`` is one
    of :data:`STAGES`. ``details`` holds the change's own fields (new name, parent, ...)."""

    change: str
    stage: str
    event_id: str
    position: int
    expected_on: date | None = None
    settled_position: int | None = None
    """The ChangeTookEffect / ChangeWithdrawn fact, when settled."""
    withdrawal_reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    recommendation_id: str | None = None
    reason: str | None = None
    source: SourceRef

    @property
    def effective_position(self) -> int | None:
        """From which fact on the change is in effect (None: it is not)."""
        if self.stage == IN_EFFECT:
            return self.position
        return self.settled_position if self.stage == TOOK_EFFECT else None


class FormerName(Entry):
    name: str
    until_position: int
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
    scope: str | None = None
    status_recommendation_id: str | None = None
    status_position: int | None = None
    registered_position: int | None = None
    changes: list[Change] = Field(default_factory=list)
    pending: list[dict[str, Any]] = Field(default_factory=list)
    """Payloads of the announcements not yet settled (what ``schemas.changes.route`` reads)."""


class Review(Doc):
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_on: date | None = None
    published_source: SourceRef | None = None
    response_published_on: date | None = None
    response_published_source: SourceRef | None = None
    recommendation_count: int = 0
    summary: str | None = None


class Role(Entry):
    """A body a recommendation or its response names, in one role."""

    organisation_id: str
    role: str
    related_id: str | None = None
    quote: str | None = None


class Response(Entry):
    kind: str
    text: str
    changes: list[str] = Field(default_factory=list)
    alternative: str | None = None
    roles: list[Role] = Field(default_factory=list)
    event_id: str
    supersedes_event_id: str | None = None
    revision_reason: str | None = None
    position: int
    occurred_at: datetime | None = None
    recorded_at: datetime

    def with_role(self, role: str) -> list[str]:
        return [r.organisation_id for r in self.roles if r.role == role]


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
    source: SourceRef | None = None
    parent_id: str | None = None
    cross_references: list[str] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    response: Response | None = None
    revisions: list[Response] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)

    @property
    def response_kind(self) -> str:
        return self.response.kind if self.response else NO_RESPONSE


class Responsibility(Doc):
    description: str | None = None
    holder_id: str | None = None
    handovers: list[Change] = Field(default_factory=list)
    """Every move (``assignment`` or ``transfer``), whatever its stage; ``details`` has
    ``from_id``, ``to_id``, ``instead_of_id``."""
    pending: list[dict[str, Any]] = Field(default_factory=list)


class Action(Doc):
    owner_id: str | None = None
    description: str | None = None
    review_id: str | None = None
    recommendation_id: str | None = None
    committed_position: int | None = None
    moves: list[Change] = Field(default_factory=list)
    pending: list[dict[str, Any]] = Field(default_factory=list)
    delivery: Delivery = Field(default_factory=Delivery)


class World(BaseModel):
    """A set of documents: all of them (as-of folds, rebuild) or those one event touches."""

    organisations: dict[str, Organisation] = Field(default_factory=dict)
    reviews: dict[str, Review] = Field(default_factory=dict)
    recommendations: dict[str, Recommendation] = Field(default_factory=dict)
    responsibilities: dict[str, Responsibility] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(default_factory=dict)
    _validity: dict[int, Valid] = PrivateAttr(default_factory=dict)
    _as_of: datetime | None = PrivateAttr(default=None)

    def set_validity(self, validity: dict[int, Valid], as_of: datetime | None = None) -> None:
        """The valid time of the facts the documents hold (by fact key), and the moment an
        as-of answer is for (``None``: now)."""
        self._validity, self._as_of = validity, as_of

    def valid(self, position: int | None) -> Valid | None:
        return None if position is None else self._validity.get(position)

    @property
    def as_of(self) -> datetime | None:
        return self._as_of

    def org(self, org_id: str) -> Organisation:
        """The organisation, or a placeholder (a reference seen before the registration)."""
        return self.organisations.setdefault(org_id, Organisation(id=org_id))

    def org_name(self, org_id: str | None) -> str | None:
        if org_id is None:
            return None
        found = self.organisations.get(org_id)
        return found.name if found else None


KINDS = streams.KINDS
"""The document collections of :class:`World`, in a fixed order (tables, checksums)."""

DOC_CLASSES: dict[str, type[Doc]] = {
    "organisations": Organisation,
    "reviews": Review,
    "recommendations": Recommendation,
    "responsibilities": Responsibility,
    "actions": Action,
}
"""The document class of each collection: the one map every layer uses."""

Doc.model_rebuild()
