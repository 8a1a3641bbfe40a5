"""Responsibilities move between bodies; actions are commitments the response adds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from schemas.envelope import DomainEvent
from schemas.responsibilities import (
    ActionCommitted,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import ImplementationProgressRecorded
from services.registry.domain.commands import (
    AssignResponsibility,
    CommitAction,
    TransferResponsibility,
)
from services.registry.domain.context import Context, action_stream, responsibility_stream
from services.registry.domain.organisation import Organisation, require, require_can_hold
from services.registry.errors import AlreadyExists, DomainRuleViolated, UnknownEntity


@dataclass(frozen=True)
class Responsibility:
    responsibility_id: str
    description: str
    version: int
    holder_id: str | None


@dataclass(frozen=True)
class Action:
    action_id: str
    owner_id: str
    version: int
    target_date: date | None = None


def apply_responsibility(state: Responsibility | None, event: DomainEvent) -> Responsibility | None:
    if isinstance(event, ResponsibilityAssigned):
        return Responsibility(
            event.responsibility_id, event.description, event.stream_version, event.holder_id
        )
    if isinstance(event, ResponsibilityTransferred):
        return Responsibility(
            event.responsibility_id, event.description, event.stream_version, event.to_id
        )
    return None if state is None else replace(state, version=event.stream_version)


def apply_action(state: Action | None, event: DomainEvent) -> Action | None:
    if isinstance(event, ActionCommitted):
        return Action(event.action_id, event.owner_id, event.stream_version)
    if state is None:
        return None
    if isinstance(event, ImplementationProgressRecorded):
        return replace(state, version=event.stream_version, target_date=event.target_date)
    return replace(state, version=event.stream_version)


def require_action(state: Action | None, action_id: str) -> Action:
    if state is None:
        raise UnknownEntity(f"unknown action {action_id!r}")
    return state


def assign(
    state: Responsibility | None,
    holder: Organisation | None,
    cmd: AssignResponsibility,
    ctx: Context,
) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"responsibility {cmd.responsibility_id!r} exists; transfer it instead")
    require_can_hold(holder, cmd.holder_id, "the holder")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [
        ctx.stamp(ResponsibilityAssigned, responsibility_stream(cmd.responsibility_id), 1, **fields)
    ]


def transfer(
    state: Responsibility | None,
    bodies: dict[str, Organisation | None],
    cmd: TransferResponsibility,
    ctx: Context,
) -> list[DomainEvent]:
    """Only the current holder can give a responsibility away; ``from_id`` may be left unknown
    only while Remit does not know the holder either. A dissolved body receives nothing."""
    holder = state.holder_id if state else None
    if cmd.from_id != holder:
        said = "unknown" if cmd.from_id is None else repr(cmd.from_id)
        held = "unknown" if holder is None else repr(holder)
        raise DomainRuleViolated(
            f"responsibility {cmd.responsibility_id!r} is held by {held}, not {said}"
        )
    if cmd.to_id == holder:
        raise DomainRuleViolated(f"{cmd.to_id!r} already holds {cmd.responsibility_id!r}")
    require_can_hold(bodies.get(cmd.to_id), cmd.to_id, "the receiving body")
    if cmd.instead_of_id is not None:
        require(bodies.get(cmd.instead_of_id), cmd.instead_of_id, "the body proposed instead")
        if cmd.instead_of_id == cmd.to_id:
            raise DomainRuleViolated("instead_of_id must differ from to_id")
    description = cmd.description or (state.description if state else None)
    if description is None:
        raise DomainRuleViolated("a responsibility new to Remit needs a description")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at", "description"})
    version = state.version + 1 if state else 1
    return [
        ctx.stamp(
            ResponsibilityTransferred,
            responsibility_stream(cmd.responsibility_id),
            version,
            description=description,
            **fields,
        )
    ]


def commit_action(
    state: Action | None,
    owner: Organisation | None,
    review_known: bool,
    cmd: CommitAction,
    ctx: Context,
) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"action {cmd.action_id!r} is already committed")
    require_can_hold(owner, cmd.owner_id, "the owner")
    if cmd.review_id is not None and not review_known:
        raise UnknownEntity(f"unknown review {cmd.review_id!r}")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [ctx.stamp(ActionCommitted, action_stream(cmd.action_id), 1, **fields)]
