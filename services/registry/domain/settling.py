"""Settling an announced change: it takes effect (if the world allows it now) or is withdrawn."""

from __future__ import annotations

from typing import Any

from schemas.changes import ChangeTookEffect, ChangeWithdrawn, StagedChange
from schemas.envelope import DomainEvent
from schemas.organisations import AccountabilityAssigned, OrganisationDissolved, OrganisationMerged
from schemas.responsibilities import (
    ActionTransferred,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from services.registry.domain.commands import RecordChangeInEffect, WithdrawChange
from services.registry.domain.context import Context
from services.registry.domain.history import Fold, fitting
from services.registry.domain.organisation import (
    Organisation,
    refuse_if_holding,
    require_can_hold,
)
from services.registry.errors import DomainRuleViolated


def pending_announcement(pending: tuple[StagedChange, ...], event: DomainEvent) -> StagedChange:
    """The announcement ``event`` is, if it is still pending (neither in effect nor withdrawn)."""
    for change in pending:
        if change.event_id == event.event_id:
            return change
    raise DomainRuleViolated(
        f"{event.stream_id} v{event.stream_version} ({event.type}) is not a pending "
        "announcement: it was recorded in effect, took effect or was withdrawn"
    )


def bodies_that_must_hold(change: StagedChange) -> list[tuple[str, str]]:
    """(body, role) that must be able to hold duties for ``change`` to take effect."""
    fields: dict[type[StagedChange], list[tuple[str, str]]] = {
        OrganisationMerged: [("parent_id", "the parent body")],
        AccountabilityAssigned: [("accountable_to_id", "the body it is accountable to")],
        ResponsibilityAssigned: [("holder_id", "the holder")],
        ResponsibilityTransferred: [("to_id", "the receiving body")],
        ActionTransferred: [("to_id", "the new owner")],
    }
    found = [(getattr(change, f), role) for f, role in fields.get(type(change), [])]
    if isinstance(change, OrganisationDissolved):
        found += [(s, "a successor") for s in change.successor_ids]
    return found


def leaves_nothing_held(change: StagedChange) -> str | None:
    """The body that must hold nothing once ``change`` is in effect, if any."""
    if isinstance(change, OrganisationDissolved):
        return change.organisation_id
    if isinstance(change, OrganisationMerged) and not change.keeps_identity:
        return change.organisation_id
    return None


def take_effect(
    fold: Fold[Any],
    state: Any,
    announcement: StagedChange,
    bodies: dict[str, Organisation | None],
    holdings: list[str],
    cmd: RecordChangeInEffect,
    ctx: Context,
) -> list[DomainEvent]:
    """``ChangeTookEffect`` of a pending ``announcement``: the bodies it names can hold now,
    and a body it dissolves or absorbs holds nothing (``holdings``)."""
    for body_id, role in bodies_that_must_hold(announcement):
        require_can_hold(bodies.get(body_id), body_id, role)
    emptied = leaves_nothing_held(announcement)
    if emptied is not None:
        refuse_if_holding(emptied, holdings, "dissolved or absorbed")
    return _settle(ChangeTookEffect, fold, state, announcement, ctx, note=cmd.note)


def withdraw(
    fold: Fold[Any], state: Any, announcement: StagedChange, cmd: WithdrawChange, ctx: Context
) -> list[DomainEvent]:
    return _settle(ChangeWithdrawn, fold, state, announcement, ctx, reason=cmd.reason)


def _settle(
    settled: type[ChangeTookEffect | ChangeWithdrawn],
    fold: Fold[Any],
    state: Any,
    announcement: StagedChange,
    ctx: Context,
    **fields: Any,
) -> list[DomainEvent]:
    """The event that settles ``announcement`` (next on its stream), if it fits the fold."""
    event = ctx.stamp(
        settled,
        announcement.stream_id,
        state.version + 1,
        announced_event_id=announcement.event_id,
        announced_stream_version=announcement.stream_version,
        change_type=announcement.type,
        **fields,
    )
    return fitting(fold, state, event)
