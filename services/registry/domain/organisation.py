"""The organisation aggregate: identity, names over time, status, whom it answers to, and the
changes announced for it that have not taken effect."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from schemas.changes import Pending, StagedChange
from schemas.envelope import ChangeStage, DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
    OrganisationRenamed,
)
from schemas.streams import organisation_stream
from services.registry.domain.commands import (
    AssignAccountability,
    Command,
    DissolveOrganisation,
    MergeOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
)
from services.registry.domain.context import Context
from services.registry.domain.history import fitting, opened, opening, routed
from services.registry.errors import (
    AlreadyExists,
    DomainRuleViolated,
    InconsistentHistory,
    UnknownEntity,
)

C = TypeVar("C", bound=StagedChange)


class OrganisationStatus(StrEnum):
    NOT_ESTABLISHED = "not_established"
    ACTIVE = "active"
    PART_OF_ANOTHER = "part_of_another"
    DISSOLVED = "dissolved"


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    name: str
    version: int
    former_names: tuple[str, ...] = ()
    status: OrganisationStatus = OrganisationStatus.ACTIVE
    keeps_identity: bool = True
    parent_id: str | None = None
    accountable_to_id: str | None = None
    pending: Pending = ()

    @property
    def can_hold(self) -> bool:
        """A body not (yet) established, dissolved, or absorbed without its own identity holds
        nothing."""
        if self.status in (OrganisationStatus.DISSOLVED, OrganisationStatus.NOT_ESTABLISHED):
            return False
        return self.status is OrganisationStatus.ACTIVE or self.keeps_identity

    def announced(self, change: type[C]) -> list[C]:
        """The pending announcements of one kind of change."""
        return [c for c in self.pending if isinstance(c, change)]


def apply(state: Organisation | None, event: DomainEvent) -> Organisation | None:
    """Fold one (effective) event of an organisation stream into its state; an event that
    does not fit the state raises :class:`InconsistentHistory`."""
    if isinstance(event, OrganisationRegistered):
        new = Organisation(
            event.organisation_id, event.name, event.stream_version, status=_initial(event)
        )
        state = opening(state, event, new, "registered")
    else:
        state = opened(state, event, "the registration")
    pending, change = routed(state.pending, event)
    state = replace(state, version=event.stream_version, pending=pending)
    return _in_effect(state, change) if change is not None else state


def _initial(event: OrganisationRegistered) -> OrganisationStatus:
    return OrganisationStatus.NOT_ESTABLISHED if event.announced else OrganisationStatus.ACTIVE


def _in_effect(state: Organisation, change: StagedChange) -> Organisation:
    if isinstance(change, OrganisationRegistered):
        return replace(state, status=OrganisationStatus.ACTIVE)
    if state.status is OrganisationStatus.NOT_ESTABLISHED:
        raise InconsistentHistory(
            f"{change.stream_id}: {change.type} in effect before the body is established"
        )
    if state.status is OrganisationStatus.DISSOLVED:
        raise InconsistentHistory(f"{change.stream_id}: {change.type} after its dissolution")
    if isinstance(change, OrganisationRenamed):
        return replace(state, name=change.new_name, former_names=(*state.former_names, state.name))
    if isinstance(change, OrganisationMerged):
        return replace(
            state,
            status=OrganisationStatus.PART_OF_ANOTHER,
            parent_id=change.parent_id,
            keeps_identity=change.keeps_identity,
        )
    if isinstance(change, OrganisationDissolved):
        return replace(state, status=OrganisationStatus.DISSOLVED)
    if isinstance(change, AccountabilityAssigned):
        return replace(state, accountable_to_id=change.accountable_to_id)
    return state


def require(state: Organisation | None, organisation_id: str, role: str) -> Organisation:
    """The named body must exist; ``role`` says why it was named, for the error message."""
    if state is None:
        raise UnknownEntity(f"unknown organisation {organisation_id!r} (named as {role})")
    return state


def require_can_hold(state: Organisation | None, organisation_id: str, role: str) -> Organisation:
    org = require(state, organisation_id, role)
    if not org.can_hold:
        raise DomainRuleViolated(
            f"organisation {organisation_id!r} is {org.status.value} and can hold nothing"
        )
    return org


def require_for(
    state: Organisation | None, organisation_id: str, role: str, announced: bool
) -> Organisation:
    """A body named by a change: one that can hold for a change in effect; for an announced
    change, any registered body (it may itself be announced)."""
    if announced:
        return require(state, organisation_id, role)
    return require_can_hold(state, organisation_id, role)


def register(
    state: Organisation | None, cmd: RegisterOrganisation, ctx: Context
) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"organisation {cmd.organisation_id!r} is already registered")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(OrganisationRegistered, organisation_stream(cmd.organisation_id), 1, **fields)
    ]


def rename(state: Organisation | None, cmd: RenameOrganisation, ctx: Context) -> list[DomainEvent]:
    org = require(state, cmd.organisation_id, "the body to rename")
    names = {org.name, *(c.new_name for c in org.announced(OrganisationRenamed))}
    if cmd.new_name in names:
        raise DomainRuleViolated(
            f"organisation {cmd.organisation_id!r} is already {cmd.new_name!r}, or that name "
            "is announced"
        )
    return _next(
        OrganisationRenamed,
        state,
        org,
        cmd,
        ctx,
        leave_out={"organisation_id"},
        organisation_id=org.organisation_id,
        previous_name=org.name,
    )


def _next(
    cls: type[DomainEvent],
    state: Organisation | None,
    org: Organisation,
    cmd: Command,
    ctx: Context,
    leave_out: set[str] | frozenset[str] = frozenset(),
    **extra: Any,
) -> list[DomainEvent]:
    """The event ``cls`` that records ``cmd`` (its fields but ``leave_out``, and ``extra``)
    next on ``org``'s stream, if it fits the fold."""
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at", *leave_out})
    stream = organisation_stream(org.organisation_id)
    return fitting(apply, state, ctx.stamp(cls, stream, org.version + 1, **extra, **fields))


def refuse_if_holding(organisation_id: str, holdings: list[str], what: str) -> None:
    """A body that can hold nothing afterwards must not be holding anything now."""
    if holdings:
        raise DomainRuleViolated(
            f"{organisation_id!r} still holds {', '.join(holdings)}: transfer "
            f"{'it' if len(holdings) == 1 else 'them'} before it is {what}, or give "
            "move_holdings_to"
        )


def merge(
    state: Organisation | None,
    parent: Organisation | None,
    parent_ancestors: list[str],
    holdings: list[str],
    cmd: MergeOrganisation,
    ctx: Context,
) -> list[DomainEvent]:
    """``parent_ancestors``: the bodies the parent is (transitively) part of; a body cannot
    become part of one of its own parts. Absorbed without its identity, it can hold nothing:
    ``holdings`` are what it still holds once ``move_holdings_to`` has been applied."""
    org = require(state, cmd.organisation_id, "the body that becomes part of another")
    require_for(parent, cmd.parent_id, "the parent body", cmd.stage is ChangeStage.ANNOUNCED)
    if org.status is OrganisationStatus.PART_OF_ANOTHER or org.announced(OrganisationMerged):
        raise DomainRuleViolated(
            f"organisation {cmd.organisation_id!r} is already (or is announced to become) "
            "part of another"
        )
    if cmd.parent_id == cmd.organisation_id or cmd.organisation_id in parent_ancestors:
        raise DomainRuleViolated(
            f"{cmd.parent_id!r} is part of {cmd.organisation_id!r}: that would be a cycle"
        )
    if not cmd.keeps_identity and cmd.stage is ChangeStage.IN_EFFECT:
        refuse_if_holding(cmd.organisation_id, holdings, "absorbed")
    return _next(OrganisationMerged, state, org, cmd, ctx, leave_out={"move_holdings_to"})


def dissolve(
    state: Organisation | None,
    successors: dict[str, Organisation | None],
    holdings: list[str],
    cmd: DissolveOrganisation,
    ctx: Context,
) -> list[DomainEvent]:
    org = require(state, cmd.organisation_id, "the body to dissolve")
    if org.status is OrganisationStatus.DISSOLVED or org.announced(OrganisationDissolved):
        raise DomainRuleViolated(
            f"organisation {cmd.organisation_id!r} is already dissolved, or announced to be"
        )
    if cmd.stage is ChangeStage.IN_EFFECT:
        refuse_if_holding(cmd.organisation_id, holdings, "dissolved")
    for successor_id, successor in successors.items():
        require_for(successor, successor_id, "a successor", cmd.stage is ChangeStage.ANNOUNCED)
    if cmd.organisation_id in successors:
        raise DomainRuleViolated("an organisation cannot succeed itself")
    return _next(OrganisationDissolved, state, org, cmd, ctx, leave_out={"move_holdings_to"})


def assign_accountability(
    state: Organisation | None,
    overseer: Organisation | None,
    cmd: AssignAccountability,
    ctx: Context,
) -> list[DomainEvent]:
    announced = cmd.stage is ChangeStage.ANNOUNCED
    org = require_for(state, cmd.organisation_id, "the accountable body", announced)
    require_for(overseer, cmd.accountable_to_id, "the body it is accountable to", announced)
    if cmd.accountable_to_id == cmd.organisation_id:
        raise DomainRuleViolated("an organisation cannot be accountable to itself")
    planned = {c.accountable_to_id for c in org.announced(AccountabilityAssigned)}
    if cmd.accountable_to_id in {org.accountable_to_id, *planned}:
        raise DomainRuleViolated(
            f"{cmd.organisation_id!r} is already (or is announced to be) accountable to "
            f"{cmd.accountable_to_id!r}"
        )
    previous = org.accountable_to_id
    return _next(AccountabilityAssigned, state, org, cmd, ctx, previous_accountable_to_id=previous)
