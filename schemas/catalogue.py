"""The event catalogue: every current event class, by type name."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from schemas.envelope import DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
    OrganisationRenamed,
)
from schemas.responsibilities import (
    ActionCommitted,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import (
    ImplementationProgressRecorded,
    RecommendationAccepted,
    RecommendationAdapted,
    RecommendationDeferred,
    RecommendationRecorded,
    RecommendationRejected,
    ReviewPublished,
)

EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    OrganisationRegistered,
    OrganisationRenamed,
    OrganisationMerged,
    OrganisationDissolved,
    AccountabilityAssigned,
    ReviewPublished,
    RecommendationRecorded,
    RecommendationAccepted,
    RecommendationAdapted,
    RecommendationDeferred,
    RecommendationRejected,
    ImplementationProgressRecorded,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
    ActionCommitted,
)

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.model_fields["type"].default: cls for cls in EVENT_CLASSES
}

CURRENT_VERSIONS: dict[str, int] = {
    name: int(cls.model_fields["schema_version"].default) for name, cls in EVENT_TYPES.items()
}

AnyEvent = Annotated[
    OrganisationRegistered
    | OrganisationRenamed
    | OrganisationMerged
    | OrganisationDissolved
    | AccountabilityAssigned
    | ReviewPublished
    | RecommendationRecorded
    | RecommendationAccepted
    | RecommendationAdapted
    | RecommendationDeferred
    | RecommendationRejected
    | ImplementationProgressRecorded
    | ResponsibilityAssigned
    | ResponsibilityTransferred
    | ActionCommitted,
    Field(discriminator="type"),
]

any_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


ORGANISATION_FIELDS: tuple[str, ...] = (
    "organisation_id",
    "parent_id",
    "accountable_to_id",
    "previous_accountable_to_id",
    "holder_id",
    "from_id",
    "to_id",
    "instead_of_id",
    "owner_id",
)
"""Event fields that name one organisation: how a consumer finds the bodies an event concerns."""

ORGANISATION_LIST_FIELDS: tuple[str, ...] = ("successor_ids", "lead_ids", "supporting_ids")
"""Event fields that name several organisations."""
