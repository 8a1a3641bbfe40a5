"""Commands: what a caller asks the registry to do. Imperative names; validated on arrival.

Every command says where its fact comes from (``source``) and, when the source says, when it took
effect (``occurred_at``). A change to a body, a responsibility or an action says whether the
source states it as done (``stage: in_effect``, the default) or as something that will happen
(``stage: announced``, with ``expected_on`` if given). The HTTP API accepts these models as
request bodies and the dataset file lists them, so one definition serves both.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from schemas.changes import Justification, Staging
from schemas.envelope import (
    ChangeStage,
    Contract,
    DatedFact,
    DeliveryStatus,
    Identifier,
    NamedBody,
    OrganisationKind,
    ShortText,
    Source,
    Text,
)
from schemas.organisations import Disposition, Scope
from schemas.reviews import Claim, ResponseKind

MoveHoldingsTo = Annotated[
    Identifier | None,
    Field(description="Move every responsibility and action it holds to this body."),
]
"""Of a body that is merged or dissolved: where what it holds goes first."""


class Command(Contract):
    source: Source
    occurred_at: AwareDatetime | None = None

    ADDED_LATER: ClassVar[frozenset[str]] = frozenset()
    """Fields added after the command was first published: left out of the request hash while
    they hold their default, so a retried request stored before they existed still matches."""

    def fingerprint(self) -> dict[str, Any]:
        """What identifies the request for its Idempotency-Key (see :data:`ADDED_LATER`)."""
        defaults = {
            name
            for name in self.ADDED_LATER
            if getattr(self, name)
            == type(self).model_fields[name].get_default(call_default_factory=True)
        }
        return self.model_dump(mode="json", exclude=defaults)


class Change(Staging, Command):
    """A change that may be announced before it happens."""

    stage: ChangeStage = Field(
        default=ChangeStage.IN_EFFECT,
        description="in_effect: the source states it as done; announced: it says it will happen.",
    )
    ADDED_LATER: ClassVar[frozenset[str]] = frozenset({"stage", "expected_on"})


class JustifiedChange(Justification, Change):
    """A change that may say why (``reason``) and answer a recommendation."""


class RegisterOrganisation(Change):
    """``stage: announced``: the body is to be established."""

    command: Literal["RegisterOrganisation"] = "RegisterOrganisation"
    organisation_id: Identifier
    name: ShortText
    kind: OrganisationKind
    abbreviation: ShortText | None = None
    description: Text | None = None
    member_count: int | None = Field(default=None, ge=0)
    members_known: bool = True


class RenameOrganisation(JustifiedChange):
    command: Literal["RenameOrganisation"] = "RenameOrganisation"
    organisation_id: Identifier
    new_name: ShortText
    ADDED_LATER: ClassVar[frozenset[str]] = Change.ADDED_LATER | {"recommendation_id"}


class MergeOrganisation(JustifiedChange):
    """``keeps_identity`` has no default: absorbed without it, a body can hold nothing.
    ``move_holdings_to`` moves what it holds (responsibilities, actions) there first."""

    command: Literal["MergeOrganisation"] = "MergeOrganisation"
    organisation_id: Identifier
    parent_id: Identifier
    keeps_identity: bool = Field(
        description="True: it stays a body of its own inside the parent (and can hold duties)."
    )
    move_holdings_to: MoveHoldingsTo = None
    ADDED_LATER: ClassVar[frozenset[str]] = Change.ADDED_LATER | {"move_holdings_to"}


class DissolveOrganisation(JustifiedChange):
    command: Literal["DissolveOrganisation"] = "DissolveOrganisation"
    organisation_id: Identifier
    scope: Scope = None
    successor_ids: tuple[Identifier, ...] = ()
    disposition: Disposition = None
    move_holdings_to: MoveHoldingsTo = None
    ADDED_LATER: ClassVar[frozenset[str]] = Change.ADDED_LATER | {
        "scope",
        "reason",
        "move_holdings_to",
    }


class AssignAccountability(JustifiedChange):
    command: Literal["AssignAccountability"] = "AssignAccountability"
    organisation_id: Identifier
    accountable_to_id: Identifier


class PublishReview(Command):
    """``authors`` and the dated facts ``published`` / ``response_published`` (no date: the
    source does not say). ``author`` and ``published_on`` are the earlier single-value forms."""

    command: Literal["PublishReview"] = "PublishReview"
    review_id: Identifier
    title: ShortText
    authors: tuple[ShortText, ...] = ()
    author: ShortText | None = Field(default=None, description="Deprecated: use authors.")
    published: DatedFact | None = None
    published_on: date | None = Field(default=None, description="Deprecated: use published.")
    response_published: DatedFact | None = None
    recommendation_count: int = Field(ge=0)
    summary: Text | None = None
    ADDED_LATER: ClassVar[frozenset[str]] = frozenset(
        {"authors", "published", "response_published"}
    )

    @model_validator(mode="after")
    def _one_form(self) -> PublishReview:
        if self.author is not None and self.authors:
            raise ValueError("give authors or author, not both")
        if self.published_on is not None and self.published is not None:
            raise ValueError("give published or published_on, not both")
        return self


class RecordRecommendation(Command):
    """``roles``: the bodies the recommendation's text names, and how."""

    command: Literal["RecordRecommendation"] = "RecordRecommendation"
    recommendation_id: Identifier
    review_id: Identifier
    number: ShortText
    text: Text
    parent_id: Identifier | None = None
    cross_references: tuple[Identifier, ...] = ()
    roles: tuple[NamedBody, ...] = ()
    ADDED_LATER: ClassVar[frozenset[str]] = frozenset({"roles"})


class RecordGovernmentResponse(Command):
    """``response`` picks the event: accepted, adapted, deferred or rejected. A second response
    to the same recommendation must set ``revision_reason`` (an explicit re-decision).
    ``roles`` names the bodies the response gives a part; ``lead_ids`` and ``supporting_ids``
    are shorthands for the roles ``lead`` and ``supporting``."""

    command: Literal["RecordGovernmentResponse"] = "RecordGovernmentResponse"
    recommendation_id: Identifier
    response: ResponseKind
    response_text: Text
    roles: tuple[NamedBody, ...] = ()
    lead_ids: tuple[Identifier, ...] = ()
    supporting_ids: tuple[Identifier, ...] = ()
    changes: tuple[Text, ...] = Field(
        default=(), description="Required for partially_implement: what differs."
    )
    alternative: Text | None = Field(default=None, description="For not_implement.")
    revision_reason: Text | None = None
    ADDED_LATER: ClassVar[frozenset[str]] = frozenset({"roles"})


class RecordImplementationProgress(Command):
    command: Literal["RecordImplementationProgress"] = "RecordImplementationProgress"
    recommendation_id: Identifier | None = None
    action_id: Identifier | None = None
    status: DeliveryStatus
    evidence: Text | None = None
    target_date: date | None = None
    target_date_change_reason: Text | None = None
    claim: Claim


class AssignResponsibility(JustifiedChange):
    command: Literal["AssignResponsibility"] = "AssignResponsibility"
    responsibility_id: Identifier
    description: Text
    holder_id: Identifier


class TransferResponsibility(JustifiedChange):
    """``from_id`` ``None`` means the source does not say who held it."""

    command: Literal["TransferResponsibility"] = "TransferResponsibility"
    responsibility_id: Identifier
    description: Text | None = Field(
        default=None, description="Needed when the responsibility is new to Remit."
    )
    from_id: Identifier | None = None
    to_id: Identifier
    instead_of_id: Identifier | None = None


class CommitAction(Command):
    command: Literal["CommitAction"] = "CommitAction"
    action_id: Identifier
    owner_id: Identifier
    description: Text
    review_id: Identifier | None = None
    recommendation_id: Identifier | None = None


class TransferAction(JustifiedChange):
    """Move an action to another owner (``from_id``: its owner now)."""

    command: Literal["TransferAction"] = "TransferAction"
    action_id: Identifier
    from_id: Identifier
    to_id: Identifier


class EventRef(Contract):
    """An event, by its id or by its place in a stream (``stream_id`` + ``stream_version``).

    A place names the event there now: a replacement, if it was corrected."""

    event_id: UUID | None = None
    stream_id: Identifier | None = None
    stream_version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_way(self) -> EventRef:
        by_place = self.stream_id is not None and self.stream_version is not None
        if (self.event_id is not None) == by_place or (
            (self.stream_id is None) != (self.stream_version is None)
        ):
            raise ValueError("give event_id, or stream_id and stream_version")
        return self


class RecordChangeInEffect(Command):
    """An announced change happened: ``occurred_at`` when (if the source says), ``source``
    where it says so."""

    command: Literal["RecordChangeInEffect"] = "RecordChangeInEffect"
    announcement: EventRef
    note: Text | None = None


class WithdrawChange(Command):
    """An announced change will not happen as announced."""

    command: Literal["WithdrawChange"] = "WithdrawChange"
    announcement: EventRef
    reason: Text


ReplacementCommand = Annotated[
    Union[  # noqa: UP007 (a discriminated union needs the Union form here)
        RegisterOrganisation,
        RenameOrganisation,
        MergeOrganisation,
        DissolveOrganisation,
        AssignAccountability,
        PublishReview,
        RecordRecommendation,
        RecordGovernmentResponse,
        RecordImplementationProgress,
        AssignResponsibility,
        TransferResponsibility,
        CommitAction,
        TransferAction,
        RecordChangeInEffect,
        WithdrawChange,
    ],
    Field(discriminator="command"),
]


class Replacement(Contract):
    """Put what ``with_command`` records in the place of the event ``event`` names. The command
    is decided against the stream as it stood just before that event (as corrected)."""

    event: EventRef
    with_command: ReplacementCommand


class CorrectRecords(Command):
    """Fix earlier records by appending: ``retract`` events (treated as never recorded) and
    ``replace`` others. ``source`` and ``reason`` say why; refused if the corrected history
    would be inconsistent (correct the events that depend on it in the same command)."""

    command: Literal["CorrectRecords"] = "CorrectRecords"
    reason: Text
    retract: tuple[EventRef, ...] = ()
    replace: tuple[Replacement, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> CorrectRecords:
        if not self.retract and not self.replace:
            raise ValueError("retract or replace at least one event")
        return self


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
    | TransferAction
    | RecordChangeInEffect
    | WithdrawChange
    | CorrectRecords
)
