"""Commands: what a caller asks the registry to do. Imperative names; validated on arrival.

Every command says where its fact comes from (``source``) and, when the source says, when it took
effect (``occurred_at``). The HTTP API accepts these models as request bodies and the dataset
file lists them, so one definition serves both.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.envelope import (
    Contract,
    DeliveryStatus,
    Identifier,
    OrganisationKind,
    ShortText,
    Source,
    Text,
)
from schemas.reviews import Claim, ResponseKind


class Command(Contract):
    source: Source
    occurred_at: AwareDatetime | None = None


class RegisterOrganisation(Command):
    command: Literal["RegisterOrganisation"] = "RegisterOrganisation"
    organisation_id: Identifier
    name: ShortText
    kind: OrganisationKind
    abbreviation: ShortText | None = None
    description: Text | None = None
    member_count: int | None = Field(default=None, ge=0)
    members_known: bool = True


class RenameOrganisation(Command):
    command: Literal["RenameOrganisation"] = "RenameOrganisation"
    organisation_id: Identifier
    new_name: ShortText
    reason: Text | None = None


class MergeOrganisation(Command):
    command: Literal["MergeOrganisation"] = "MergeOrganisation"
    organisation_id: Identifier
    parent_id: Identifier
    keeps_identity: bool = True
    reason: Text | None = None
    recommendation_id: Identifier | None = None


class DissolveOrganisation(Command):
    command: Literal["DissolveOrganisation"] = "DissolveOrganisation"
    organisation_id: Identifier
    successor_ids: tuple[Identifier, ...] = ()
    disposition: Text | None = None
    recommendation_id: Identifier | None = None


class AssignAccountability(Command):
    command: Literal["AssignAccountability"] = "AssignAccountability"
    organisation_id: Identifier
    accountable_to_id: Identifier
    reason: Text | None = None
    recommendation_id: Identifier | None = None


class PublishReview(Command):
    command: Literal["PublishReview"] = "PublishReview"
    review_id: Identifier
    title: ShortText
    author: ShortText | None = None
    published_on: date | None = None
    recommendation_count: int = Field(ge=0)
    summary: Text | None = None


class RecordRecommendation(Command):
    command: Literal["RecordRecommendation"] = "RecordRecommendation"
    recommendation_id: Identifier
    review_id: Identifier
    number: ShortText
    text: Text
    parent_id: Identifier | None = None
    cross_references: tuple[Identifier, ...] = ()


class RecordGovernmentResponse(Command):
    """``response`` picks the event: accepted, adapted, deferred or rejected. A second response
    to the same recommendation must set ``revision_reason`` (an explicit re-decision)."""

    command: Literal["RecordGovernmentResponse"] = "RecordGovernmentResponse"
    recommendation_id: Identifier
    response: ResponseKind
    response_text: Text
    lead_ids: tuple[Identifier, ...] = ()
    supporting_ids: tuple[Identifier, ...] = ()
    changes: tuple[Text, ...] = Field(
        default=(), description="Required for partially_implement: what differs."
    )
    alternative: Text | None = Field(default=None, description="For not_implement.")
    revision_reason: Text | None = None


class RecordImplementationProgress(Command):
    command: Literal["RecordImplementationProgress"] = "RecordImplementationProgress"
    recommendation_id: Identifier | None = None
    action_id: Identifier | None = None
    status: DeliveryStatus
    evidence: Text | None = None
    target_date: date | None = None
    target_date_change_reason: Text | None = None
    claim: Claim


class AssignResponsibility(Command):
    command: Literal["AssignResponsibility"] = "AssignResponsibility"
    responsibility_id: Identifier
    description: Text
    holder_id: Identifier
    reason: Text | None = None
    recommendation_id: Identifier | None = None


class TransferResponsibility(Command):
    """``from_id`` ``None`` means the source does not say who held it."""

    command: Literal["TransferResponsibility"] = "TransferResponsibility"
    responsibility_id: Identifier
    description: Text | None = Field(
        default=None, description="Needed when the responsibility is new to Remit."
    )
    from_id: Identifier | None = None
    to_id: Identifier
    instead_of_id: Identifier | None = None
    reason: Text | None = None
    recommendation_id: Identifier | None = None


class CommitAction(Command):
    command: Literal["CommitAction"] = "CommitAction"
    action_id: Identifier
    owner_id: Identifier
    description: Text
    review_id: Identifier | None = None
    recommendation_id: Identifier | None = None


AnyCommand = (
    RegisterOrganisation
    | RenameOrganisation
    | MergeOrganisation
    | DissolveOrganisation
    | AssignAccountability
    | PublishReview
    | RecordRecommendation
    | RecordGovernmentResponse
    | RecordImplementationProgress
    | AssignResponsibility
    | TransferResponsibility
    | CommitAction
)
