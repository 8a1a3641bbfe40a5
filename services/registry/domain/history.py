"""Folds hold the rules of a stream's history; a decision proves its events by folding them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from schemas.changes import Pending, StagedChange, UnknownAnnouncement, route
from schemas.envelope import DomainEvent
from services.registry.errors import DomainRuleViolated, InconsistentHistory, UnknownEntity

S = TypeVar("S")
Fold = Callable[[S | None, DomainEvent], S | None]


def fitting(fold: Fold[S], state: S | None, event: DomainEvent) -> list[DomainEvent]:
    """``[event]``, once folding it onto ``state`` shows it fits; otherwise the fold's reason,
    as the refusal of the command that would have recorded it."""
    try:
        fold(state, event)
    except InconsistentHistory as exc:
        raise DomainRuleViolated(str(exc).split(": ", 1)[-1]) from exc
    return [event]


def fold_all(fold: Fold[S], events: list[DomainEvent]) -> S | None:
    """The state after ``events`` (a stream as corrected), or :class:`InconsistentHistory`."""
    state: S | None = None
    for event in events:
        state = fold(state, event)
    return state


def opening(state: S | None, event: DomainEvent, opened: S, done: str) -> S:
    """``opened``, the state the stream's first event makes; that event again does not fit
    (``registered twice``: ``done`` says what it did)."""
    if state is not None:
        raise InconsistentHistory(f"{event.stream_id}: {done} twice")
    return opened


def opened(state: S | None, event: DomainEvent, first: str) -> S:
    """``state``, which any event but the first needs (``... before the registration``:
    ``first`` names that event)."""
    if state is None:
        raise InconsistentHistory(f"{event.stream_id}: {event.type} before {first}")
    return state


def routed(pending: Pending, event: DomainEvent) -> tuple[Pending, StagedChange | None]:
    """:func:`schemas.changes.route`, where settling an unknown announcement does not fit."""
    try:
        return route(pending, event)
    except UnknownAnnouncement as exc:
        raise InconsistentHistory(str(exc)) from exc


def known(state: S | None, kind: str, entity_id: str) -> S:
    """The state of an entity a command names, which must exist (``unknown action 'x'``)."""
    if state is None:
        raise UnknownEntity(f"unknown {kind} {entity_id!r}")
    return state
