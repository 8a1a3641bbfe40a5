"""Concurrent writers for the ordering tests: random streams, random delays before commit,
rollbacks and optimistic-concurrency conflicts, with a ledger of what committed."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import DomainEvent
from services.registry.adapters.db import Tables
from services.registry.adapters.sequencer import PostgresPositionSource
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.errors import ConcurrencyConflict

NewEvent = Callable[[int, int], DomainEvent]
"""(stream number, stream version) -> the event to append."""


@dataclass
class Ledger:
    committed: dict[UUID, DomainEvent] = field(default_factory=dict)
    rolled_back: set[UUID] = field(default_factory=set)
    conflicts: int = 0
    writers_done: bool = False


@dataclass(frozen=True)
class Writers:
    transactions: int
    streams: int
    stream_id: Callable[[int], str]
    new_event: NewEvent
    delays: tuple[float, ...] = (0, 0, 0.001, 0.005, 0.02)

    async def write(self, seed: int, engine: AsyncEngine, tables: Tables, ledger: Ledger) -> None:
        """One writer: ``transactions`` units of work over 1-3 streams each; a fifth left
        without commit; half of the committed ones wait for their positions, as a command
        handler answering does."""
        rng = random.Random(seed)
        positions = PostgresPositionSource(engine, tables, timeout_s=30)
        for _ in range(self.transactions):
            streams = sorted(rng.sample(range(self.streams), rng.randint(1, 3)))  # no deadlocks
            events: list[DomainEvent] = []
            try:
                async with SqlAlchemyUnitOfWork(engine, tables) as uow:
                    for stream in streams:
                        version = len(await uow.events.load(self.stream_id(stream))) + 1
                        events.append(self.new_event(stream, version))
                    await uow.events.append(events)
                    await asyncio.sleep(rng.choice(self.delays))  # commits land out of order
                    if rng.random() < 0.2:
                        ledger.rolled_back.update(e.event_id for e in events)
                        continue  # leave without commit: rolled back
                    await uow.commit()
            except ConcurrencyConflict:
                ledger.conflicts += 1
                ledger.rolled_back.update(e.event_id for e in events)
                continue
            ledger.committed.update((e.event_id, e) for e in events)
            if rng.random() < 0.5:
                await positions.positions_of([e.event_id for e in events])
