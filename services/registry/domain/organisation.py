"""The organisation aggregate: identity, names over time, status, and whom it answers to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from schemas.envelope import DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
    OrganisationRenamed,
)
from services.registry.domain.commands import (
    AssignAccountability,
    DissolveOrganisation,
    MergeOrganisation,
    RegisterOrganisation,
    RenameOrganisation,
)
from services.registry.domain.context import Context, organisation_stream
from services.registry.errors import AlreadyExists, DomainRuleViolated, UnknownEntity


class OrganisationStatus(StrEnum):
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

    @property
    def can_hold(self) -> bool:
        """A dissolved body, or one absorbed without its own identity, holds nothing."""
        if self.status is OrganisationStatus.DISSOLVED:
            return False
        return self.status is OrganisationStatus.ACTIVE or self.keeps_identity


def apply(state: Organisation | None, event: DomainEvent) -> Organisation | None:
    """Fold one event of an organisation stream into its state."""
    if isinstance(event, OrganisationRegistered):
        return Organisation(event.organisation_id, event.name, event.stream_version)
    if state is None:
        return None
    state = replace(state, version=event.stream_version)
    if isinstance(event, OrganisationRenamed):
        return replace(state, name=event.new_name, former_names=(*state.former_names, state.name))
    if isinstance(event, OrganisationMerged):
        return replace(
            state,
            status=OrganisationStatus.PART_OF_ANOTHER,
            parent_id=event.parent_id,
            keeps_identity=event.keeps_identity,
        )
    if isinstance(event, OrganisationDissolved):
        return replace(state, status=OrganisationStatus.DISSOLVED)
    if isinstance(event, AccountabilityAssigned):
        return replace(state, accountable_to_id=event.accountable_to_id)
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
    if org.status is OrganisationStatus.DISSOLVED:
        raise DomainRuleViolated(f"organisation {cmd.organisation_id!r} is dissolved")
    if cmd.new_name == org.name:
        raise DomainRuleViolated(f"organisation {cmd.organisation_id!r} is already {org.name!r}")
    return [
        ctx.stamp(
            OrganisationRenamed,
            organisation_stream(org.organisation_id),
            org.version + 1,
            organisation_id=org.organisation_id,
            previous_name=org.name,
            new_name=cmd.new_name,
            reason=cmd.reason,
        )
    ]


def refuse_if_holding(organisation_id: str, holdings: list[str], what: str) -> None:
    """A body that can hold nothing afterwards must not be holding anything now."""
    if holdings:
        raise DomainRuleViolated(
            f"{organisation_id!r} still holds {', '.join(holdings)}: transfer "
            f"{'it' if len(holdings) == 1 else 'them'} before it is {what}"
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
    become part of one of its own parts. Absorbed without its identity, it can hold nothing."""
    org = require(state, cmd.organisation_id, "the body that becomes part of another")
    require_can_hold(parent, cmd.parent_id, "the parent body")
    if org.status is not OrganisationStatus.ACTIVE:
        raise DomainRuleViolated(f"organisation {cmd.organisation_id!r} is {org.status.value}")
    if cmd.parent_id == cmd.organisation_id or cmd.organisation_id in parent_ancestors:
        raise DomainRuleViolated(
            f"{cmd.parent_id!r} is part of {cmd.organisation_id!r}: that would be a cycle"
        )
    if not cmd.keeps_identity:
        refuse_if_holding(cmd.organisation_id, holdings, "absorbed")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(
            OrganisationMerged, organisation_stream(org.organisation_id), org.version + 1, **fields
        )
    ]


def dissolve(
    state: Organisation | None,
    successors: dict[str, Organisation | None],
    holdings: list[str],
    cmd: DissolveOrganisation,
    ctx: Context,
) -> list[DomainEvent]:
    org = require(state, cmd.organisation_id, "the body to dissolve")
    if org.status is OrganisationStatus.DISSOLVED:
        raise DomainRuleViolated(f"organisation {cmd.organisation_id!r} is already dissolved")
    refuse_if_holding(cmd.organisation_id, holdings, "dissolved")
    for successor_id, successor in successors.items():
        require_can_hold(successor, successor_id, "a successor")
    if cmd.organisation_id in successors:
        raise DomainRuleViolated("an organisation cannot succeed itself")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(
            OrganisationDissolved,
            organisation_stream(org.organisation_id),
            org.version + 1,
            **fields,
        )
    ]


def assign_accountability(
    state: Organisation | None,
    overseer: Organisation | None,
    cmd: AssignAccountability,
    ctx: Context,
) -> list[DomainEvent]:
    org = require_can_hold(state, cmd.organisation_id, "the accountable body")
    require_can_hold(overseer, cmd.accountable_to_id, "the body it is accountable to")
    if cmd.accountable_to_id == cmd.organisation_id:
        raise DomainRuleViolated("an organisation cannot be accountable to itself")
    if org.accountable_to_id == cmd.accountable_to_id:
        raise DomainRuleViolated(
            f"{cmd.organisation_id!r} is already accountable to {cmd.accountable_to_id!r}"
        )
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(
            AccountabilityAssigned,
            organisation_stream(org.organisation_id),
            org.version + 1,
            previous_accountable_to_id=org.accountable_to_id,
            **fields,
        )
    ]
