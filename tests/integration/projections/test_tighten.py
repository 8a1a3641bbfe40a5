"""``store.tighten`` on PostgreSQL: several dated facts at once (one read of what they may
reach, one write) leave the same bounds as one recursive statement per fact, and as the pure
walk (``domain.validity.lower``)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.dead_letters import DeadLetterSink, DeadLetterStore
from services.projections.adapters import store
from services.projections.adapters.read_model import PostgresReadModelStore
from services.projections.domain.fold import replay
from services.projections.domain.validity import lower
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
EVENTS = list(smith_events())
PLACED = replay(EVENTS).placed


class _Nowhere:
    async def publish(self, letter: Any) -> None:
        raise AssertionError("nothing is dead-lettered here")


@pytest.fixture
async def stored(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A data schema holding every Smith event with its placement, not yet tightened."""
    engine = create_async_engine(database_url)
    control = f"proj_{uuid.uuid4().hex[:8]}"
    schema = await store.ensure(engine, control)
    sink = DeadLetterSink(DeadLetterStore(engine, control, "tighten"), _Nowhere())
    async with PostgresReadModelStore(engine, control, sink).batch() as batch:
        await batch.store_events([(p, PLACED[p.position]) for p in EVENTS if p.position in PLACED])
    yield engine, schema
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await conn.execute(text(f"DROP SCHEMA {control} CASCADE"))
    await engine.dispose()


def _dated(seed: int) -> list[tuple[tuple[int, ...], datetime]]:
    """Dated facts over the Smith graph, their dates out of order (so the order matters)."""
    rng = random.Random(seed)
    positions = sorted(PLACED)
    latest = max(p.hi for p in PLACED.values())
    return [
        (
            tuple(rng.sample(positions, rng.randint(1, 3))),
            latest - timedelta(days=rng.randint(1, 120)),
        )
        for _ in range(12)
    ]


async def _bounds(
    engine: AsyncEngine, schema: str, before: Any, dated: Any, one_by_one: bool
) -> dict[int, Any]:
    """The bounds after tightening ``before`` (one at a time, so the stored bounds differ),
    then ``dated``; read in the same transaction, which is then rolled back."""
    async with engine.connect() as conn, conn.begin() as tx:
        for fact in before:
            await store.tighten(conn, schema, [fact])
        if one_by_one:
            for fact in dated:
                await store.tighten(conn, schema, [fact])
        else:
            await store.tighten(conn, schema, dated)
        found = await store.validity(conn, schema, set(PLACED))
        await tx.rollback()
    return {p: v.not_after for p, v in found.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_batch_of_dated_facts_tightens_as_one_at_a_time_does(
    stored: tuple[AsyncEngine, str], seed: int
) -> None:
    engine, schema = stored
    before, dated = _dated(seed), _dated(seed + 100)
    bounds = {p: [pl.hi, pl.depends_on] for p, pl in PLACED.items()}
    lower(bounds, before)
    changed = lower(bounds, dated)
    assert changed  # the dates are early enough to tighten something
    expected = {p: b[0] for p, b in bounds.items()}
    assert await _bounds(engine, schema, before, dated, one_by_one=False) == expected
    assert await _bounds(engine, schema, before, dated, one_by_one=True) == expected
