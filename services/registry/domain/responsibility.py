"""Responsibilities and actions: who holds (or owns) them now, and the moves announced for them.

Both move between bodies the same way: a move names the holder it takes the duty from (or none,
when the source does not say and Remit does not know either), may be announced before it takes
effect, and can only take effect while that body still holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from schemas.changes import Pending
from schemas.envelope import ChangeStage, DomainEvent
from schemas.responsibilities import (
    ActionCommitted,
    ActionTransferred,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import ImplementationProgressRecorded
from schemas.streams import action_stream, responsibility_stream
from services.registry.domain.commands import (
    AssignResponsibility,
    CommitAction,
    TransferAction,
    TransferResponsibility,
)
from services.registry.domain.context import Context
from services.registry.domain.history import fitting, known, opened, opening, routed
from services.registry.domain.organisation import Organisation, require, require_for
from services.registry.errors import (
    AlreadyExists,
    DomainRuleViolated,
    InconsistentHistory,
    UnknownEntity,
)


@dataclass(frozen=True)
class Responsibility:
    responsibility_id: str
    description: str
    version: int
    holder_id: str | None
    pending: Pending = ()


@dataclass(frozen=True)
class Action:
    action_id: str
    owner_id: str
    version: int
    target_date: date | None = None
    pending: Pending = ()


def _move(stream_id: str, holder: str | None, from_id: str | None, to_id: str) -> str:
    """The holder after a move from ``from_id`` to ``to_id``, if it fits the current one."""
    kind, _, name = stream_id.partition("-")
    if from_id != holder:
        said = "unknown" if from_id is None else repr(from_id)
        held = "unknown" if holder is None else repr(holder)
        raise InconsistentHistory(f"{stream_id}: {kind} {name!r} is held by {held}, not {said}")
    if to_id == holder:
        raise InconsistentHistory(f"{stream_id}: {to_id!r} already holds {kind} {name!r}")
    return to_id


def apply_responsibility(state: Responsibility | None, event: DomainEvent) -> Responsibility | None:
    """Fold one (effective) event of a responsibility stream; raises
    :class:`InconsistentHistory` for one that does not fit."""
    if state is None:
        if not isinstance(event, ResponsibilityAssigned | ResponsibilityTransferred):
            raise InconsistentHistory(f"{event.stream_id}: {event.type} before it exists")
        state = Responsibility(event.responsibility_id, event.description, 0, None)
    elif isinstance(event, ResponsibilityAssigned):
        raise InconsistentHistory(f"{event.stream_id}: assigned twice")
    if isinstance(event, ResponsibilityAssigned | ResponsibilityTransferred):
        _announceable(state.holder_id, event)
    pending, change = routed(state.pending, event)
    state = replace(state, version=event.stream_version, pending=pending)
    if isinstance(change, ResponsibilityAssigned):
        return replace(
            state, holder_id=_move(change.stream_id, state.holder_id, None, change.holder_id)
        )
    if isinstance(change, ResponsibilityTransferred):
        holder = _move(change.stream_id, state.holder_id, change.from_id, change.to_id)
        return replace(state, holder_id=holder, description=change.description)
    return state


def _announceable(
    holder: str | None, event: ResponsibilityAssigned | ResponsibilityTransferred
) -> None:
    """An announced move must fit the holder at the time it is announced, too."""
    if event.announced:
        from_id = event.from_id if isinstance(event, ResponsibilityTransferred) else None
        to_id = event.to_id if isinstance(event, ResponsibilityTransferred) else event.holder_id
        _move(event.stream_id, holder, from_id, to_id)


def apply_action(state: Action | None, event: DomainEvent) -> Action | None:
    """Fold one (effective) event of an action stream."""
    if isinstance(event, ActionCommitted):
        new = Action(event.action_id, event.owner_id, event.stream_version)
        return opening(state, event, new, "committed")
    state = opened(state, event, "the commitment")
    if isinstance(event, ActionTransferred) and event.announced:
        _move(event.stream_id, state.owner_id, event.from_id, event.to_id)
    pending, change = routed(state.pending, event)
    state = replace(state, version=event.stream_version, pending=pending)
    if isinstance(event, ImplementationProgressRecorded):
        state = replace(state, target_date=event.target_date)
    if isinstance(change, ActionTransferred):
        return replace(
            state, owner_id=_move(change.stream_id, state.owner_id, change.from_id, change.to_id)
        )
    return state


def assign(
    state: Responsibility | None,
    holder: Organisation | None,
    cmd: AssignResponsibility,
    ctx: Context,
) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"responsibility {cmd.responsibility_id!r} exists; transfer it instead")
    require_for(holder, cmd.holder_id, "the holder", cmd.stage is ChangeStage.ANNOUNCED)
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    event = ctx.stamp(
        ResponsibilityAssigned, responsibility_stream(cmd.responsibility_id), 1, **fields
    )
    return fitting(apply_responsibility, state, event)


def transfer(
    state: Responsibility | None,
    bodies: dict[str, Organisation | None],
    cmd: TransferResponsibility,
    ctx: Context,
) -> list[DomainEvent]:
    """Only the current holder can give a responsibility away; ``from_id`` may be left unknown
    only while Remit does not know the holder either. A body that can hold nothing receives
    nothing in effect; an announced move may name a body that is itself announced."""
    require_for(
        bodies.get(cmd.to_id), cmd.to_id, "the receiving body", cmd.stage is ChangeStage.ANNOUNCED
    )
    if cmd.instead_of_id is not None:
        require(bodies.get(cmd.instead_of_id), cmd.instead_of_id, "the body proposed instead")
        if cmd.instead_of_id == cmd.to_id:
            raise DomainRuleViolated("instead_of_id must differ from to_id")
    pending_to = (
        {c.to_id for c in state.pending if isinstance(c, ResponsibilityTransferred)}
        if state
        else set()
    )
    if cmd.to_id in pending_to:
        raise DomainRuleViolated(
            f"a move of {cmd.responsibility_id!r} to {cmd.to_id!r} is already announced"
        )
    description = cmd.description or (state.description if state else None)
    if description is None:
        raise DomainRuleViolated("a responsibility new to Remit needs a description")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at", "description"})
    event = ctx.stamp(
        ResponsibilityTransferred,
        responsibility_stream(cmd.responsibility_id),
        state.version + 1 if state else 1,
        description=description,
        **fields,
    )
    return fitting(apply_responsibility, state, event)


def commit_action(
    state: Action | None,
    owner: Organisation | None,
    review_known: bool,
    cmd: CommitAction,
    ctx: Context,
) -> list[DomainEvent]:
    if state is not None:
        raise AlreadyExists(f"action {cmd.action_id!r} is already committed")
    require_for(owner, cmd.owner_id, "the owner", announced=False)
    if cmd.review_id is not None and not review_known:
        raise UnknownEntity(f"unknown review {cmd.review_id!r}")
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    return [ctx.stamp(ActionCommitted, action_stream(cmd.action_id), 1, **fields)]


def transfer_action(
    state: Action | None, receiver: Organisation | None, cmd: TransferAction, ctx: Context
) -> list[DomainEvent]:
    action = known(state, "action", cmd.action_id)
    require_for(receiver, cmd.to_id, "the new owner", cmd.stage is ChangeStage.ANNOUNCED)
    fields = cmd.model_dump(exclude={"command", "source", "occurred_at"})
    event = ctx.stamp(ActionTransferred, action_stream(cmd.action_id), action.version + 1, **fields)
    return fitting(apply_action, state, event)
