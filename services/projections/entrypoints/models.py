"""The read side's answers as published in OpenAPI: one model per route, field by field.

The views (``domain/views.py``) build plain dicts and the routes render them to bytes once (the
answer cache keeps the bytes), so these models are never run on a request: they are the
contract. ``tests/unit/projections/test_answer_models.py`` validates real answers (the Smith
review, a generated history, current and as of) against them, with unknown fields refused, so
what is documented cannot drift from what is served. The published schemas do not forbid
additional properties: a client must accept fields added later.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.openapi import EventPublic


def _open(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_open, populate_by_name=True)


Stage = Literal["in_effect", "took_effect", "announced", "withdrawn"]
ChangeKind = Literal[
    "establishment", "rename", "merge", "dissolution", "accountability", "assignment", "transfer"
]
ResponseKind = Literal[
    "implement_in_full",
    "partially_implement",
    "future_discussion",
    "not_implement",
    "no_response",
]
DeliveryStatus = Literal["not_started", "in_progress", "delivered", "blocked", "unknown"]


class Valid(Model):
    """When a fact held, as far as the sources say: ``at`` if the source dates it, else bounds
    (``not_before`` .. ``not_after``)."""

    at: datetime | None
    not_before: datetime | None
    not_after: datetime | None
    uncertain: bool | None = Field(
        default=None,
        description="As-of answers only: true if the fact may or may not hold at that moment.",
    )


class BodyRef(Model):
    id: str
    name: str | None = Field(description="Its name now (null: referred to, never registered).")


class BodyThenNow(Model):
    id: str
    name_then: str | None = Field(description="Its name when the change was made.")
    name_now: str | None


class Holder(BodyRef):
    part_of: list[BodyRef] = Field(description="What it is (in effect) part of, nearest first.")
    effective: BodyRef = Field(description="The outermost of those (itself if none).")


class Source(Model):
    document: str
    passage: str = Field(description="The words of the source.")
    locator: str | None


class FormerName(Model):
    name: str
    until_position: int
    reason: str | None


class Change(Model):
    """A change and where it stands: recorded in effect; announced, then took effect;
    announced and pending; announced, then withdrawn."""

    change: ChangeKind
    stage: Stage
    event_id: str
    position: int
    valid: Valid | None
    expected_on: date | None = Field(description="Announced: when it is expected, if said.")
    settled_position: int | None = Field(description="The fact that it took effect or not.")
    settled: Valid | None
    withdrawal_reason: str | None
    recommendation_id: str | None
    reason: str | None
    source: Source


class OrganisationChange(Change):
    """A change to a body; the fields of its kind only."""

    previous_name: str | None = None
    new_name: str | None = None
    parent: BodyRef | None = None
    keeps_identity: bool | None = None
    scope: str | None = None
    successors: list[BodyRef] | None = None
    disposition: str | None = None
    accountable_to: BodyRef | None = None
    previous_accountable_to: BodyRef | None = None


class ActionMove(Change):
    from_: BodyRef | None = Field(alias="from")
    to: BodyRef | None


class Handover(Change):
    """A move of a responsibility (assignment or transfer), bodies by name then and now."""

    description: str | None
    from_: BodyThenNow | None = Field(alias="from")
    to: BodyThenNow | None
    instead_of: BodyThenNow | None = Field(description="The body originally proposed, if any.")


class BodyHandover(Handover):
    responsibility_id: str


class AnnouncedDuty(Handover):
    id: str = Field(description="The responsibility.")
    direction: Literal["in", "out"]


class BriefRole(Model):
    id: str
    name: str | None
    role: str


class SubPoint(Model):
    id: str
    number: str | None
    text: str | None
    response: ResponseKind
    response_inherited_from: str | None = Field(
        description="The parent whose response answers this sub-point (it has none of its own)."
    )


class RecommendationBrief(Model):
    id: str
    review_id: str | None
    number: str | None
    text: str | None
    response: ResponseKind
    response_inherited_from: str | None
    delivery: DeliveryStatus
    leads: list[BodyRef]
    supporters: list[BodyRef]
    roles: list[BriefRole]
    sub_points: list[SubPoint]


class RecommendationsByRole(Model):
    """The recommendations that name the body, by its role there (roles it has none in are
    left out)."""

    lead: list[RecommendationBrief] | None = None
    supporting: list[RecommendationBrief] | None = None
    recipient: list[RecommendationBrief] | None = None
    subject: list[RecommendationBrief] | None = None
    not_leading: list[RecommendationBrief] | None = None
    originally_proposed: list[RecommendationBrief] | None = None
    named: list[RecommendationBrief] | None = None
    member_of: list[RecommendationBrief] | None = None
    composed_of: list[RecommendationBrief] | None = None
    accountable_to: list[RecommendationBrief] | None = None
    oversees: list[RecommendationBrief] | None = None


class Held(Model):
    id: str
    description: str | None
    since: Valid | None = Field(description="Valid time of the move that put it there.")


class Progress(Model):
    status: DeliveryStatus
    evidence: str | None
    target_date: date | None
    previous_target_date: date | None
    target_date_change_reason: str | None
    claimed_by: str
    verified_by: str | None
    position: int
    occurred_at: datetime | None
    recorded_at: datetime


class Delivery(Model):
    status: DeliveryStatus
    target_date: date | None
    claims: list[Progress]


class Action(Model):
    id: str
    description: str | None
    review_id: str | None
    recommendation_id: str | None
    owner: Holder | None
    delivery: Delivery
    moves: list[ActionMove]


class StatusDetail(Model):
    status: str = Field(description="`active`, `merged` or `dissolved`.")
    keeps_identity: bool | None
    reason: str | None
    scope: str | None
    successors: list[BodyRef]
    disposition: str | None
    recommendation_id: str | None
    valid: Valid | None


class CorrectedRecord(Model):
    type: str
    stream_version: int
    before: str
    after: str | None = Field(description="Null: retracted.")


class Correction(Model):
    """A correction of a stream: what it retracted or replaced, why, on whose authority."""

    stream: str
    correction_id: str
    position: int
    recorded_at: datetime
    reason: str
    actor: str | None = Field(description="Null where `REMIT_EVENTS_ACCESS` withholds it.")
    source: Source
    records: list[CorrectedRecord]


class HistoryEntry(Model):
    position: int
    type: str
    stream_id: str
    stream_version: int
    occurred_at: datetime | None
    recorded_at: datetime
    event: EventPublic


class OrganisationSummary(Model):
    id: str
    name: str | None
    kind: str | None
    abbreviation: str | None
    status: str = Field(description="`active`, `merged` or `dissolved` (in effect).")
    former_names: list[FormerName]
    parent: BodyRef | None = Field(description="What it is part of, in effect.")
    accountable_to: BodyRef | None
    announced: list[str] = Field(description="The kinds of change announced and pending.")
    valid: Valid | None
    uncertain: bool | None = Field(
        default=None, description="As-of answers only: it may not have existed then."
    )


class Involvement(Model):
    responsibilities: list[Held] = Field(description="What it holds in effect.")
    announced_responsibilities: list[AnnouncedDuty]
    recommendations: RecommendationsByRole
    leads: list[RecommendationBrief]
    supports: list[RecommendationBrief]


class Part(OrganisationSummary, Involvement):
    """A body that is (in effect) part of this one, with what it holds."""


class OrganisationView(OrganisationSummary, Involvement):
    announced: list[OrganisationChange] = Field(  # type: ignore[assignment]
        description="Changes announced and pending."
    )
    description: str | None
    member_count: int | None
    members_known: bool
    status_detail: StatusDetail
    changes: list[OrganisationChange]
    transferred_in: list[BodyHandover]
    transferred_out: list[BodyHandover]
    proposals_not_followed: list[BodyHandover] = Field(
        description="Moves that went, or will go, elsewhere although this body was proposed."
    )
    actions: list[Action]
    announced_actions: list[Action]
    parts: list[Part]
    corrections: list[Correction]
    history: list[HistoryEntry]


class RoleEntry(Model):
    organisation: BodyRef | None
    role: str
    related: BodyRef | None
    quote: str | None
    from_: Literal["recommendation", "response"] = Field(alias="from")


class RawRole(Model):
    organisation_id: str
    role: str
    related_id: str | None
    quote: str | None


class ResponseRevision(Model):
    kind: ResponseKind
    text: str
    changes: list[str]
    alternative: str | None
    roles: list[RawRole]
    event_id: str
    supersedes_event_id: str | None
    revision_reason: str | None
    position: int
    occurred_at: datetime | None
    recorded_at: datetime


class ResponsePublic(ResponseRevision):
    roles: list[RoleEntry]  # type: ignore[assignment]
    leads: list[BodyRef]
    supporters: list[BodyRef]
    revisions: list[ResponseRevision] = Field(description="Earlier responses it supersedes.")
    valid: Valid | None


class CrossReferences(Model):
    to: list[str]
    from_: list[str] = Field(alias="from")


class RecommendationView(Model):
    id: str
    review_id: str | None
    number: str | None
    text: str | None
    source: Source | None
    parent_id: str | None
    sub_points: list[RecommendationBrief]
    cross_references: CrossReferences
    roles: list[RoleEntry]
    response_kind: ResponseKind
    response_inherited_from: str | None
    response: ResponsePublic | None
    delivery: Delivery
    valid: Valid | None
    corrections: list[Correction]
    timeline: list[HistoryEntry]


class Lineage(Model):
    id: str
    description: str | None
    holder: Holder | None = Field(description="Who holds it in effect (null: nobody known).")
    holder_status: str | None
    holder_since: Valid | None
    handovers: list[Handover]
    announced: list[Handover]
    corrections: list[Correction]


class DatedFact(Model):
    on: date | None
    source: Source | None


class ReviewPublic(Model):
    id: str
    title: str | None
    authors: list[str]
    published: DatedFact
    response_published: DatedFact


class ReviewSummary(Model):
    review: ReviewPublic
    recommendation_count: int = Field(description="How many the review makes.")
    recorded: int = Field(description="How many are on the board.")
    by_response: dict[str, int] = Field(description="Count per response kind.")
    by_delivery: dict[str, int] = Field(description="Count per delivery status.")
    matrix: dict[str, dict[str, int]] = Field(
        description="Response kind -> delivery status -> count."
    )
    unanswered_label: str


class Answer(Model):
    """What every read answer starts with."""

    position: int = Field(description="The position the answer reflects (`Remit-Position`).")
    degraded: bool = Field(description="True while the read side has unacknowledged dead letters.")
    as_of: datetime | None = Field(description="The moment asked for (`as_of`), if any.")
    at_position: int | None = Field(description="The position asked for (`at_position`), if any.")


class OrganisationList(Answer):
    items: list[OrganisationSummary]


class OrganisationAnswer(Answer, OrganisationView):
    pass


class Board(Answer):
    limit: int
    offset: int
    next_offset: int | None = Field(description="The next page's offset; null on the last page.")
    items: list[RecommendationBrief]


class RecommendationAnswer(Answer, RecommendationView):
    pass


class ResponsibilityAnswer(Answer, Lineage):
    pass


class SummaryAnswer(Answer, ReviewSummary):
    pass
