"""Folds hold the rules of a stream's history; a decision proves its events by folding them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from schemas.envelope import DomainEvent
from services.registry.errors import DomainRuleViolated, InconsistentHistory

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
