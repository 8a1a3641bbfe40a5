"""Events of review (``review-<id>``) and recommendation (``recommendation-<id>``) streams."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas.envelope import (
    BodyRole,
    Contract,
    DatedFact,
    DeliveryStatus,
    DomainEvent,
    Identifier,
    NamedBody,
    ShortText,
    Text,
)


class ReviewPublished(DomainEvent):
    """An official review and the government's response to it entered the register.

    ``published`` and ``response_published`` are dated facts with their sources; their ``on``
    is None when the source does not say."""

    type: Literal["ReviewPublished"] = "ReviewPublished"
    schema_version: Literal[2] = 2
    review_id: Identifier
    title: ShortText
    authors: tuple[ShortText, ...] = Field(default=(), description="Empty: not said.")
    published: DatedFact = Field(default_factory=DatedFact)
    response_published: DatedFact = Field(default_factory=DatedFact)
    recommendation_count: int = Field(ge=0)
    summary: Text | None = None


def _roles_unique(roles: tuple[NamedBody, ...]) -> tuple[NamedBody, ...]:
    seen = {(r.organisation_id, r.role, r.related_id) for r in roles}
    if len(seen) != len(roles):
        raise ValueError("a body is named twice in the same role")
    return roles


class RecommendationRecorded(DomainEvent):
    """A recommendation of a review, or a sub-point of one (``parent_id`` set), with the bodies
    its text names (``roles``: what it is about, who composes what, ...)."""

    type: Literal["RecommendationRecorded"] = "RecommendationRecorded"
    schema_version: Literal[2] = 2
    recommendation_id: Identifier
    review_id: Identifier
    number: ShortText = Field(description="Label as printed, e.g. '11' or '11a'.")
    text: Text
    parent_id: Identifier | None = None
    cross_references: tuple[Identifier, ...] = ()
    roles: tuple[NamedBody, ...] = ()

    @model_validator(mode="after")
    def _unique_roles(self) -> RecommendationRecorded:
        _roles_unique(self.roles)
        return self


class ResponseKind(StrEnum):
    IMPLEMENT_IN_FULL = "implement_in_full"
    PARTIALLY_IMPLEMENT = "partially_implement"
    FUTURE_DISCUSSION = "future_discussion"
    NOT_IMPLEMENT = "not_implement"


class GovernmentResponse(DomainEvent):
    """Fields shared by the four response events; a revision names what it supersedes.

    ``roles``: the bodies the response names (who leads, supports, receives, is explicitly not
    leading, ...)."""

    recommendation_id: Identifier
    review_id: Identifier
    response_text: Text
    roles: tuple[NamedBody, ...] = ()
    supersedes_event_id: str | None = Field(
        default=None, description="Set when this is an explicit re-decision."
    )
    revision_reason: Text | None = None

    @model_validator(mode="after")
    def _revision_needs_reason(self) -> GovernmentResponse:
        if self.supersedes_event_id is not None and not self.revision_reason:
            raise ValueError("a re-decision must give revision_reason")
        _roles_unique(self.roles)
        return self

    def with_role(self, role: BodyRole) -> tuple[str, ...]:
        """Ids of the bodies the response names in ``role``."""
        return tuple(r.organisation_id for r in self.roles if r.role is role)


class RecommendationAccepted(GovernmentResponse):
    """Government will implement the recommendation in full."""

    type: Literal["RecommendationAccepted"] = "RecommendationAccepted"
    schema_version: Literal[2] = 2


class RecommendationAdapted(GovernmentResponse):
    """Government will implement part of it, or implement it differently."""

    type: Literal["RecommendationAdapted"] = "RecommendationAdapted"
    schema_version: Literal[2] = 2
    changes: tuple[Text, ...] = Field(min_length=1, description="What differs from the proposal.")


class RecommendationDeferred(GovernmentResponse):
    """Government leaves the recommendation for future discussion."""

    type: Literal["RecommendationDeferred"] = "RecommendationDeferred"
    schema_version: Literal[2] = 2


class RecommendationRejected(GovernmentResponse):
    """Government will not implement the recommendation."""

    type: Literal["RecommendationRejected"] = "RecommendationRejected"
    schema_version: Literal[2] = 2
    alternative: Text | None = Field(default=None, description="What happens instead, if stated.")


RESPONSE_EVENTS: dict[ResponseKind, type[GovernmentResponse]] = {
    ResponseKind.IMPLEMENT_IN_FULL: RecommendationAccepted,
    ResponseKind.PARTIALLY_IMPLEMENT: RecommendationAdapted,
    ResponseKind.FUTURE_DISCUSSION: RecommendationDeferred,
    ResponseKind.NOT_IMPLEMENT: RecommendationRejected,
}
"""The event each response kind is recorded as."""

RESPONSE_KINDS: dict[str, str] = {
    event.model_fields["type"].default: kind.value for kind, event in RESPONSE_EVENTS.items()
}
"""The response kind each government response event records, by event type."""


class Claim(Contract):
    """Who asserts a delivery status, and who (separately) checked it."""

    claimed_by: Identifier
    verified_by: Identifier | None = None


class ImplementationProgressRecorded(DomainEvent):
    """Delivery status of a recommendation or action; a moved target date carries its reason."""

    type: Literal["ImplementationProgressRecorded"] = "ImplementationProgressRecorded"
    schema_version: Literal[1] = 1
    recommendation_id: Identifier | None = None
    action_id: Identifier | None = None
    status: DeliveryStatus
    evidence: Text | None = None
    target_date: date | None = None
    previous_target_date: date | None = None
    target_date_change_reason: Text | None = None
    claim: Claim

    @model_validator(mode="after")
    def _one_subject(self) -> ImplementationProgressRecorded:
        if (self.recommendation_id is None) == (self.action_id is None):
            raise ValueError("exactly one of recommendation_id and action_id is required")
        return self
