"""Columns of a picture: the moments its changes happened, in the register's order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.projections.entrypoints.pages.pictures.model import Column


def moment(occurred_at: Any, recorded_at: Any) -> str:
    """When a change took effect, as short as a column allows: the date it occurred, else
    the date Remit recorded it (said so)."""
    if occurred_at:
        return _day(occurred_at)
    return f"recorded {_day(recorded_at)}" if recorded_at else ""


def _day(value: Any) -> str:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{found.day} {found:%b %Y}"


class Axis:
    """Columns for the positions given (after ``first``, if given), then one for the end of
    the picture (``end``)."""

    def __init__(
        self, moments: Iterable[tuple[int, Any, Any]], end: str, first: Column | None = None
    ) -> None:
        seen: dict[int, Column] = {}
        for position, occurred_at, recorded_at in sorted(moments, key=lambda m: m[0]):
            seen.setdefault(
                position, Column(f"position {position}", moment(occurred_at, recorded_at), position)
            )
        self.columns = [*([first] if first else []), *seen.values(), Column(end, "")]
        self._index = {c.position: i for i, c in enumerate(self.columns) if c.position}

    def at(self, position: int) -> int:
        return self._index[position]

    @property
    def last(self) -> int:
        return len(self.columns) - 1
