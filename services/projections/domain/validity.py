"""Valid time with honest uncertainty: when each fact held, as far as the sources let us say.

A fact the source dates holds from that date (``at``). An undated fact is bounded: no earlier
than any dated fact it depends on (``not_before``, carried forward when it is placed), no later
than the time Remit recorded it nor than any dated fact that depends on it (``not_after``,
tightened backwards when such a fact arrives). A fact depends on the fact before it in its own
stream and on the fact that created each stream it names (a transfer to a body depends on the
body's registration).

As of a moment ``t``: a fact with ``not_before <= t`` (or none) may hold; one with
``not_after <= t`` certainly does. Since bounds follow dependencies both ways, whatever an
answer shows, it also shows what that depends on: no half-worlds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Valid:
    """Bounds of a fact's valid time; ``at`` when the source dates it."""

    at: datetime | None
    not_before: datetime | None
    not_after: datetime | None

    def certain_at(self, moment: datetime) -> bool:
        return self.not_after is not None and self.not_after <= moment

    def possible_at(self, moment: datetime) -> bool:
        return self.not_before is None or self.not_before <= moment

    def as_json(self, as_of: datetime | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "at": _iso(self.at),
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }
        if as_of is not None:
            out["uncertain"] = not self.certain_at(as_of)
        return out


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def lower_bound(
    occurred_at: datetime | None, dependencies: Iterable[datetime | None]
) -> datetime | None:
    """``not_before`` of a fact: its own date, but never before a dated fact it depends on
    (a source that dates a fact earlier than its causes is overruled, so answers stay
    closed under dependency)."""
    known = [d for d in dependencies if d is not None]
    if occurred_at is not None:
        known.append(occurred_at)
    return max(known, default=None)


def own_upper_bound(
    occurred_at: datetime | None, recorded_at: datetime, lo: datetime | None
) -> datetime:
    """``not_after`` of a fact before any later fact tightens it: its date, or when Remit
    recorded it; never before its own lower bound."""
    hi = occurred_at if occurred_at is not None else recorded_at
    return max(hi, lo) if lo is not None else hi


def settle(
    facts: Iterable[tuple[datetime | None, int, datetime | None, datetime, tuple[int, ...]]],
) -> dict[int, Valid]:
    """Bounds of every fact once later facts have tightened what they depend on: ``facts`` are
    (occurred_at, position, lower bound, own upper bound, dependencies) in position order. The
    store does the same as facts arrive, a batch at a time (``tighten``)."""
    dated: dict[int, tuple[datetime | None, datetime | None]] = {}
    bounds: dict[int, list[Any]] = {}
    for occurred_at, position, lo, hi, depends_on in facts:
        dated[position] = (occurred_at, lo)
        bounds[position] = [hi, depends_on]
        if occurred_at is not None:
            lower(bounds, [(depends_on, hi)])
    return {p: Valid(at, lo, bounds[p][0]) for p, (at, lo) in dated.items()}


def lower(
    bounds: dict[int, list[Any]], dated: Iterable[tuple[tuple[int, ...], datetime]]
) -> dict[int, datetime]:
    """Tighten ``bounds`` (position -> [not_after, dependencies], changed in place) for dated
    facts (their dependencies and their own ``not_after``), in position order: whatever a fact
    depends on, directly or not, held by its date, so each bound higher than that is lowered,
    and the walk goes on past the facts lowered only. Returns the bounds changed."""
    changed: dict[int, datetime] = {}
    for depends_on, hi in dated:
        stack = list(depends_on)
        while stack:
            position = stack.pop()
            node = bounds.get(position)
            if node is not None and node[0] > hi:
                node[0] = changed[position] = hi
                stack.extend(node[1])
    return changed
