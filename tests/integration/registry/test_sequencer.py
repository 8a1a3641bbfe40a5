"""The promise of the sequencer: a catch-up reader never skips a committed event.

Positions are dense (1..N), commit-ordered in batches, per-stream ordered, causally ordered.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.envelope import DomainEvent
from services.registry.adapters.db import Tables
from services.registry.adapters.event_store import EventFeed, PostgresEventStore
from services.registry.adapters.sequencer import (
    PostgresPositionSource,
    sequence_pending,
)
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.adapters.writes import PendingWrites
from services.registry.service_layer.ports import ScopedKey, StoredResponse
from tests.integration.registry.factory import renamed
from tests.support.writers import Ledger, Writers

pytestmark = pytest.mark.integration

CONCURRENT, TRANSACTIONS, STREAMS = 16, 40, 64


def _renamed(stream: int, version: int) -> DomainEvent:
    return renamed(f"organisation-org-{stream}", version)


WRITERS = Writers(TRANSACTIONS, STREAMS, lambda n: f"organisation-org-{n}", _renamed)


async def _reader(
    engine: AsyncEngine, tables: Tables, ledger: Ledger
) -> tuple[list[tuple[int, DomainEvent]], int]:
    feed, seen, last, polls = EventFeed(engine, tables), [], 0, 0
    async with engine.connect() as connection:
        while True:
            batch = await feed.read_all(after=last, limit=97)
            polls += 1
            for position, event in batch:
                assert position == last + 1, f"skipped from {last} to {position}"
                last = position
                seen.append((position, event))
            if not batch:
                if ledger.writers_done and last == await feed.head_position():
                    if last >= len(ledger.committed):
                        return seen, polls
                if polls % 3 == 0 or ledger.writers_done:
                    await sequence_pending(connection, tables, 5_000)
                await asyncio.sleep(0.002)


async def test_concurrent_writers_and_a_catch_up_reader_never_skip(
    engine: AsyncEngine, tables: Tables
) -> None:
    ledger = Ledger()
    began = time.monotonic()
    reader = asyncio.create_task(_reader(engine, tables, ledger))
    await asyncio.gather(
        *(WRITERS.write(seed, engine, tables, ledger) for seed in range(CONCURRENT))
    )
    ledger.writers_done = True
    seen, polls = await asyncio.wait_for(reader, 60)

    assert [p for p, _ in seen] == list(range(1, len(ledger.committed) + 1))
    assert {e.event_id for _, e in seen} == set(ledger.committed)
    assert not {e.event_id for _, e in seen} & ledger.rolled_back
    by_stream: dict[str, list[int]] = {}
    for _, event in seen:
        by_stream.setdefault(event.stream_id, []).append(event.stream_version)
    for versions in by_stream.values():
        assert versions == list(range(1, len(versions) + 1))
    print(
        f"\n{len(seen)} events committed by {CONCURRENT}x{TRANSACTIONS} transactions "
        f"({len(ledger.rolled_back)} events rolled back, {ledger.conflicts} conflicts), "
        f"{len(by_stream)} streams, reader polls {polls}, {time.monotonic() - began:.1f}s"
    )


async def test_event_of_a_late_committing_transaction_is_not_skipped(
    engine: AsyncEngine, tables: Tables
) -> None:
    """A took the lower id but commits after B: B is not held back, and A is not skipped by a
    reader that has already gone past B: A simply gets the next position."""
    feed = EventFeed(engine, tables)
    first, second = renamed("organisation-a", 1), renamed("organisation-b", 1)
    async with engine.connect() as a, engine.connect() as sequencer:
        transaction_a = await a.begin()
        await PendingWrites([first]).flush(a, tables)  # lower id, stays open
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            await uow.events.append([second])
            await uow.commit()
        positions = PostgresPositionSource(engine, tables, timeout_s=1)
        assert await positions.positions_of([second.event_id]) == {second.event_id: 1}
        assert await feed.read_all(after=0, limit=10) == [(1, second)]
        await transaction_a.commit()
        assert await sequence_pending(sequencer, tables, 100) == 1
    assert await feed.read_all(after=1, limit=10) == [(2, first)]


async def test_rolled_back_transaction_leaves_no_gap(engine: AsyncEngine, tables: Tables) -> None:
    second = renamed("organisation-b", 1)
    async with engine.connect() as a:
        transaction_a = await a.begin()
        await PendingWrites([renamed("organisation-a", 1)]).flush(a, tables)
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            await uow.events.append([second])
            await uow.commit()
        assert await PostgresPositionSource(engine, tables).positions_of([second.event_id]) == {
            second.event_id: 1
        }
        await transaction_a.rollback()
    third = renamed("organisation-c", 1)
    async with SqlAlchemyUnitOfWork(engine, tables) as uow:
        await uow.events.append([third])
        await uow.commit()
    assert await PostgresPositionSource(engine, tables).positions_of([third.event_id]) == {
        third.event_id: 2
    }
    assert await EventFeed(engine, tables).read_all(after=0, limit=10) == [(1, second), (2, third)]


async def test_cause_is_positioned_before_effect_when_xids_disagree_with_ids(
    engine: AsyncEngine, tables: Tables
) -> None:
    """Y takes its xid before X, reads X's committed event and appends after it, while an
    unrelated transaction O stays open: Y still comes after X, and O holds nothing back."""
    cause, effect = renamed("organisation-a", 1), renamed("organisation-a", 2)
    async with engine.connect() as y, engine.connect() as o, engine.connect() as sequencer:
        y_tx, o_tx = await y.begin(), await o.begin()
        await _take_xid(y, tables, "y")
        await _take_xid(o, tables, "o")
        async with SqlAlchemyUnitOfWork(engine, tables) as x:
            await x.events.append([cause])
            await x.commit()
        assert await PostgresEventStore(y, tables, PendingWrites()).load("organisation-a") == [
            cause
        ]
        await PendingWrites([effect]).flush(y, tables)
        await y_tx.commit()
        assert await sequence_pending(sequencer, tables, 100) == 2
        await o_tx.rollback()
    assert await EventFeed(engine, tables).read_all(0, 10) == [(1, cause), (2, effect)]


async def _take_xid(connection: AsyncConnection, tables: Tables, key: str) -> None:
    kept = (ScopedKey('["test"]', key), StoredResponse("h", 200, {}))
    await PendingWrites(kept=[kept]).flush(connection, tables)


async def test_concurrent_callers_share_sequencing_batches(
    engine: AsyncEngine, tables: Tables
) -> None:
    events = [renamed(f"organisation-o{i}", 1) for i in range(200)]
    for chunk in range(0, 200, 20):
        async with SqlAlchemyUnitOfWork(engine, tables) as uow:
            await uow.events.append(events[chunk : chunk + 20])
            await uow.commit()
    source = PostgresPositionSource(engine, tables)
    results = await asyncio.gather(*(source.positions_of([e.event_id]) for e in events))
    merged = {k: v for result in results for k, v in result.items()}
    assert sorted(merged.values()) == list(range(1, 201))
    assert [merged[e.event_id] for e in events] == list(range(1, 201))  # id order
