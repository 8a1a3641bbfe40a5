"""Reviews and their recommendations: what was proposed, and the government's one response."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from schemas.envelope import BodyRole, DatedFact, DeliveryStatus, DomainEvent, NamedBody
from schemas.reviews import (
    RESPONSE_EVENTS,
    GovernmentResponse,
    ImplementationProgressRecorded,
    RecommendationRecorded,
    ResponseKind,
    ReviewPublished,
)
from schemas.streams import recommendation_stream, review_stream
from services.registry.domain.commands import (
    PublishReview,
    RecordGovernmentResponse,
    RecordRecommendation,
)
from services.registry.domain.context import Context
from services.registry.domain.history import known, opened, opening
from services.registry.domain.organisation import Organisation, OrganisationStatus, require
from services.registry.errors import (
    AlreadyExists,
    DomainRuleViolated,
)


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
        return opening(state, event, Review(event.review_id, event.stream_version), "published")
    return replace(opened(state, event, "the publication"), version=event.stream_version)


def apply_recommendation(state: Recommendation | None, event: DomainEvent) -> Recommendation | None:
    if isinstance(event, RecommendationRecorded):
        new = Recommendation(
            event.recommendation_id, event.review_id, event.stream_version, event.parent_id
        )
        return opening(state, event, new, "recorded")
    state = replace(opened(state, event, "the recommendation"), version=event.stream_version)
    if isinstance(event, GovernmentResponse):
        return replace(state, response_event_id=str(event.event_id))
    if isinstance(event, ImplementationProgressRecorded):
        return replace(state, status=event.status, target_date=event.target_date)
    return state


def publish(state: Review | None, cmd: PublishReview, ctx: Context) -> list[DomainEvent]:
    """The earlier single-value forms (``author``, ``published_on``) still work: a bare date
    is sourced from the command's own source."""
    if state is not None:
        raise AlreadyExists(f"review {cmd.review_id!r} is already published")
    published = cmd.published or DatedFact(
        on=cmd.published_on, source=cmd.source if cmd.published_on else None
    )
    return [
        ctx.stamp(
            ReviewPublished,
            review_stream(cmd.review_id),
            1,
            review_id=cmd.review_id,
            title=cmd.title,
            authors=cmd.authors or ((cmd.author,) if cmd.author else ()),
            published=published,
            response_published=cmd.response_published or DatedFact(),
            recommendation_count=cmd.recommendation_count,
            summary=cmd.summary,
        )
    ]


ACTING_ROLES = frozenset({BodyRole.LEAD, BodyRole.SUPPORTING, BodyRole.RECIPIENT})
"""Roles that give a body something to do: not for a body that has ceased to exist."""


def require_roles(roles: tuple[NamedBody, ...], bodies: dict[str, Organisation | None]) -> None:
    """Every body a role names is registered; one that acts is not dissolved."""
    for entry in roles:
        for body_id in (entry.organisation_id, entry.related_id):
            if body_id is not None:
                require(bodies.get(body_id), body_id, f"{entry.role.value} body")
        body = bodies.get(entry.organisation_id)
        if entry.role in ACTING_ROLES and body and body.status is OrganisationStatus.DISSOLVED:
            raise DomainRuleViolated(
                f"organisation {entry.organisation_id!r} is dissolved and cannot be "
                f"{entry.role.value}"
            )
    seen = [(r.organisation_id, r.role, r.related_id) for r in roles]
    if len(set(seen)) != len(seen):
        raise DomainRuleViolated("a body is named twice in the same role")

    def bodies_in(role: BodyRole) -> set[str]:
        return {r.organisation_id for r in roles if r.role is role}

    if bodies_in(BodyRole.LEAD) & bodies_in(BodyRole.SUPPORTING):
        raise DomainRuleViolated("a body cannot both lead and support the same recommendation")
    if bodies_in(BodyRole.LEAD) & bodies_in(BodyRole.NOT_LEADING):
        raise DomainRuleViolated("a body cannot both lead and be named as not leading")


def record(
    state: Recommendation | None,
    review: Review | None,
    parent: Recommendation | None,
    references: dict[str, Recommendation | None],
    bodies: dict[str, Organisation | None],
    cmd: RecordRecommendation,
    ctx: Context,
) -> list[DomainEvent]:
    """Sub-points belong to a top-level recommendation of the same review; cross-references
    must name recommendations already recorded; roles name registered bodies."""
    if state is not None:
        raise AlreadyExists(f"recommendation {cmd.recommendation_id!r} is already recorded")
    known(review, "review", cmd.review_id)
    if cmd.parent_id is not None:
        owner = known(parent, "recommendation", cmd.parent_id)
        if owner.review_id != cmd.review_id:
            raise DomainRuleViolated("a sub-point must belong to a recommendation of its review")
        if owner.parent_id is not None:
            raise DomainRuleViolated("sub-points cannot have sub-points of their own")
    for reference_id, reference in references.items():
        known(reference, "recommendation", reference_id)
    if cmd.recommendation_id in references:
        raise DomainRuleViolated("a recommendation cannot refer to itself")
    require_roles(cmd.roles, bodies)
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
    """One response per recommendation (a sub-point without one inherits its parent's); a
    second one is a re-decision that must say why."""
    rec = known(state, "recommendation", cmd.recommendation_id)
    if rec.response_event_id is not None and not cmd.revision_reason:
        raise DomainRuleViolated(
            f"{cmd.recommendation_id!r} already has a response; a re-decision needs revision_reason"
        )
    if rec.response_event_id is None and cmd.revision_reason:
        raise DomainRuleViolated("revision_reason given but there is no earlier response")
    roles = response_roles(cmd)
    require_roles(roles, bodies)
    extra = _response_specific_fields(cmd)
    return [
        ctx.stamp(
            RESPONSE_EVENTS[cmd.response],
            recommendation_stream(rec.recommendation_id),
            rec.version + 1,
            recommendation_id=rec.recommendation_id,
            review_id=rec.review_id,
            response_text=cmd.response_text,
            roles=roles,
            supersedes_event_id=rec.response_event_id,
            revision_reason=cmd.revision_reason,
            **extra,
        )
    ]


def response_roles(cmd: RecordGovernmentResponse) -> tuple[NamedBody, ...]:
    """``roles``, with the shorthands ``lead_ids`` and ``supporting_ids`` added."""
    short = [
        NamedBody(organisation_id=body, role=role)
        for ids, role in ((cmd.lead_ids, BodyRole.LEAD), (cmd.supporting_ids, BodyRole.SUPPORTING))
        for body in ids
    ]
    return (*short, *cmd.roles)


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
