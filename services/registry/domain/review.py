"""Reviews and their recommendations: what was proposed, and the government's one response."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from schemas.envelope import DeliveryStatus, DomainEvent
from schemas.reviews import (
    GovernmentResponse,
    ImplementationProgressRecorded,
    RecommendationAccepted,
    RecommendationAdapted,
    RecommendationDeferred,
    RecommendationRecorded,
    RecommendationRejected,
    ResponseKind,
    ReviewPublished,
)
from services.registry.domain.commands import (
    PublishReview,
    RecordGovernmentResponse,
    RecordRecommendation,
)
from services.registry.domain.context import Context, recommendation_stream, review_stream
from services.registry.domain.organisation import Organisation, require_can_hold
from services.registry.errors import AlreadyExists, DomainRuleViolated, UnknownEntity

RESPONSE_EVENTS: dict[ResponseKind, type[GovernmentResponse]] = {
    ResponseKind.IMPLEMENT_IN_FULL: RecommendationAccepted,
    ResponseKind.PARTIALLY_IMPLEMENT: RecommendationAdapted,
    ResponseKind.FUTURE_DISCUSSION: RecommendationDeferred,
    ResponseKind.NOT_IMPLEMENT: RecommendationRejected,
}


@dataclass(frozen=True)
class Review:
    review_id: str
    version: int


@dataclass(frozen=True)
class Recommendation:
    recommendation_id: str
    review_id: str
    version: int
    parent_id: str | None = None
    response_event_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.UNKNOWN
    target_date: date | None = None


def apply_review(state: Review | None, event: DomainEvent) -> Review | None:
    if isinstance(event, ReviewPublished):
        return Review(event.review_id, event.stream_version)
    return None if state is None else replace(state, version=event.stream_version)


def apply_recommendation(state: Recommendation | None, event: DomainEvent) -> Recommendation | None:
    if isinstance(event, RecommendationRecorded):
        return Recommendation(
            event.recommendation_id, event.review_id, event.stream_version, event.parent_id
        )
    if state is None:
        return None
    state = replace(state, version=event.stream_version)
    if isinstance(event, GovernmentResponse):
        return replace(state, response_event_id=str(event.event_id))
    if isinstance(event, ImplementationProgressRecorded):
        return replace(state, status=event.status, target_date=event.target_date)
    return state


def require_recommendation(state: Recommendation | None, recommendation_id: str) -> Recommendation:
    if state is None:
        raise UnknownEntity(f"unknown recommendation {recommendation_id!r}")
    return state


def publish(state: Review | None, cmd: PublishReview, ctx: Context) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"review {cmd.review_id!r} is already published")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [ctx.stamp(ReviewPublished, review_stream(cmd.review_id), 1, **fields)]


def record(
    state: Recommendation | None,
    review: Review | None,
    parent: Recommendation | None,
    references: dict[str, Recommendation | None],
    cmd: RecordRecommendation,
    ctx: Context,
) -> list[DomainEvent]:
    """Sub-points belong to a top-level recommendation of the same review; cross-references
    must name recommendations already recorded."""
    if state is not None:
        raise AlreadyExists(f"recommendation {cmd.recommendation_id!r} is already recorded")
    if review is None:
        raise UnknownEntity(f"unknown review {cmd.review_id!r}")
    if cmd.parent_id is not None:
        owner = require_recommendation(parent, cmd.parent_id)
        if owner.review_id != cmd.review_id:
            raise DomainRuleViolated("a sub-point must belong to a recommendation of its review")
        if owner.parent_id is not None:
            raise DomainRuleViolated("sub-points cannot have sub-points of their own")
    for reference_id, reference in references.items():
        require_recommendation(reference, reference_id)
    if cmd.recommendation_id in references:
        raise DomainRuleViolated("a recommendation cannot refer to itself")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(RecommendationRecorded, recommendation_stream(cmd.recommendation_id), 1, **fields)
    ]


def respond(
    state: Recommendation | None,
    bodies: dict[str, Organisation | None],
    cmd: RecordGovernmentResponse,
    ctx: Context,
) -> list[DomainEvent]:
    """One response per recommendation; a second one is a re-decision that must say why."""
    rec = require_recommendation(state, cmd.recommendation_id)
    if rec.parent_id is not None:
        raise DomainRuleViolated("responses are recorded against the parent recommendation")
    if rec.response_event_id is not None and not cmd.revision_reason:
        raise DomainRuleViolated(
            f"{cmd.recommendation_id!r} already has a response; a re-decision needs revision_reason"
        )
    if rec.response_event_id is None and cmd.revision_reason:
        raise DomainRuleViolated("revision_reason given but there is no earlier response")
    if set(cmd.lead_ids) & set(cmd.supporting_ids):
        raise DomainRuleViolated("a body cannot both lead and support the same recommendation")
    for body_id, body in bodies.items():
        require_can_hold(body, body_id, "a lead or supporting body")
    extra = _response_specific_fields(cmd)
    return [
        ctx.stamp(
            RESPONSE_EVENTS[cmd.response],
            recommendation_stream(rec.recommendation_id),
            rec.version + 1,
            recommendation_id=rec.recommendation_id,
            review_id=rec.review_id,
            response_text=cmd.response_text,
            lead_ids=cmd.lead_ids,
            supporting_ids=cmd.supporting_ids,
            supersedes_event_id=rec.response_event_id,
            revision_reason=cmd.revision_reason,
            **extra,
        )
    ]


def _response_specific_fields(cmd: RecordGovernmentResponse) -> dict[str, object]:
    if cmd.response is ResponseKind.PARTIALLY_IMPLEMENT:
        if not cmd.changes:
            raise DomainRuleViolated("a partial implementation must say what changes (changes)")
        return {"changes": cmd.changes}
    if cmd.changes:
        raise DomainRuleViolated("changes apply only to partially_implement")
    if cmd.response is ResponseKind.NOT_IMPLEMENT:
        return {"alternative": cmd.alternative}
    if cmd.alternative:
        raise DomainRuleViolated("alternative applies only to not_implement")
    return {}
