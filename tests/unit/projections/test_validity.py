"""``lower``: what dated facts tighten, walked in position order; the store's batched
``tighten`` is held to it (tests/integration/projections/test_tighten.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.projections.domain.validity import lower, settle

T = datetime(2026, 11, 30, tzinfo=UTC)


def _day(n: int) -> datetime:
    return T - timedelta(days=n)


def _bounds() -> dict[int, list[Any]]:
    # 1 <- 2 <- 3 (a chain) and 4, which depends on 1 and 3
    return {1: [T, ()], 2: [T, (1,)], 3: [_day(5), (2,)], 4: [T, (1, 3)]}


def test_a_dated_fact_lowers_what_it_depends_on_transitively() -> None:
    bounds = _bounds()
    changed = lower(bounds, [((3,), _day(10))])
    assert changed == {3: _day(10), 2: _day(10), 1: _day(10)}
    assert bounds[4][0] == T  # it depends on them, they do not depend on it


def test_the_walk_stops_at_a_fact_already_as_low() -> None:
    bounds = _bounds()
    changed = lower(bounds, [((3,), _day(2))])  # 3 is already no later than day 5
    assert changed == {}
    assert [bounds[p][0] for p in (1, 2, 3)] == [T, T, _day(5)]


def test_facts_are_walked_in_order_and_the_lowest_bound_stays() -> None:
    bounds = _bounds()
    changed = lower(bounds, [((2,), _day(20)), ((4,), _day(10))])
    # the second fact lowers 4 and 3 to day 10 but finds 1 already at day 20 and leaves it
    assert changed == {2: _day(20), 1: _day(20), 4: _day(10), 3: _day(10)}
    assert bounds[1][0] == _day(20)


def test_unknown_positions_are_skipped() -> None:
    bounds = _bounds()
    assert lower(bounds, [((99, 2), _day(1))]) == {2: _day(1), 1: _day(1)}


def test_settle_tightens_only_for_dated_facts() -> None:
    facts = [
        (None, 1, None, T, ()),
        (None, 2, None, T, (1,)),
        (_day(3), 3, _day(3), _day(3), (2,)),
        (None, 4, _day(3), T, (3,)),  # undated: it tightens nothing
    ]
    valid = settle(facts)
    assert [valid[p].not_after for p in (1, 2, 3, 4)] == [_day(3), _day(3), _day(3), T]
    assert valid[3].at == _day(3) and valid[4].not_before == _day(3)
