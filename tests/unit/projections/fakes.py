"""In-memory stand-ins for the projections' ports (``service_layer/ports.py``).

A transaction works on a copy of the state and replaces it on commit; a savepoint keeps a copy
to go back to. ``tests/integration/projections/test_read_model_contract.py`` holds these and
the PostgreSQL adapters to the same behaviour.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.projections.domain.model import KINDS, World
from services.projections.domain.refs import Refs
from services.projections.errors import OutdatedReadModel
from services.projections.service_layer.ports import Checkpoint


@dataclass
class ReadModelState:
    world: World = field(default_factory=World)
    events: dict[int, PositionedEvent] = field(default_factory=dict)
    checkpoints: dict[tuple[str, int], Checkpoint] = field(default_factory=dict)
    dead_letters: dict[tuple[str, str, int, int], DeadLetter] = field(default_factory=dict)


class FakeWrites:
    def __init__(self, state: ReadModelState, published: list[DeadLetter]) -> None:
        self.state, self.published = state, published

    async def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        key = (checkpoint.topic, checkpoint.partition)
        self.state.checkpoints[key] = copy.copy(checkpoint)

    async def save(self, world: World, only: Refs | None = None) -> None:
        for kind in KINDS:
            docs, stored = getattr(world, kind), getattr(self.state.world, kind)
            for doc_id in docs if only is None else only.get(kind, ()):
                if doc_id in docs:
                    stored[doc_id] = docs[doc_id].model_copy(deep=True)

    async def store_events(self, events: Sequence[PositionedEvent]) -> None:
        for positioned in events:
            if positioned.position in self.state.events:
                raise ValueError(f"position {positioned.position} is stored already")
            self.state.events[positioned.position] = positioned

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        new = []
        for letter in letters:
            s = letter.source
            key = (letter.kind, s.topic, s.partition, s.offset)
            if key not in self.state.dead_letters:
                self.state.dead_letters[key] = letter
                new.append(letter)
                if letter.to_topic:
                    self.published.append(letter)
        return tuple(new)


class FakeBatch(FakeWrites):
    async def checkpoint(self, topic: str, partition: int) -> Checkpoint:
        found = self.state.checkpoints.get((topic, partition))
        return copy.copy(found) if found else Checkpoint(topic, partition)

    async def load(self, wanted: Refs) -> World:
        world = World()
        for kind, ids in wanted.items():
            stored = getattr(self.state.world, kind)
            for doc_id in ids & stored.keys():
                getattr(world, kind)[doc_id] = stored[doc_id].model_copy(deep=True)
        return world

    @asynccontextmanager
    async def isolated(self) -> AsyncIterator[None]:
        before = copy.deepcopy(self.state)
        try:
            yield
        except BaseException:
            self.state.__dict__.update(before.__dict__)
            raise


class FakeReadModel:
    """:class:`~services.projections.service_layer.ports.ReadModelStore` in memory;
    ``published`` lists what went to the DLQ topic."""

    def __init__(self) -> None:
        self.state = ReadModelState()
        self.published: list[DeadLetter] = []
        self.outdated = False

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[FakeBatch]:
        if self.outdated:
            raise OutdatedReadModel("the fake read model has an older shape: rebuild")
        working = FakeBatch(copy.deepcopy(self.state), self.published)
        yield working
        self.state = working.state


class FakeRebuildLoad(FakeWrites):
    async def insert_documents(self, world: World) -> None:
        await self.save(world)


class FakeRebuildTarget:
    """:class:`~services.projections.service_layer.ports.RebuildTarget` in memory: the new
    schema's state, and which schema readers use."""

    def __init__(self) -> None:
        self.state = ReadModelState()
        self.published: list[DeadLetter] = []
        self.active = "v1"
        self.dropped_older = False

    async def create(self) -> str:
        return "v2"

    @asynccontextmanager
    async def load(self) -> AsyncIterator[FakeRebuildLoad]:
        yield FakeRebuildLoad(self.state, self.published)

    @asynccontextmanager
    async def switching(self) -> AsyncIterator[FakeRebuildLoad]:
        yield FakeRebuildLoad(self.state, self.published)
        self.active = "v2"

    async def drop_older(self) -> None:
        self.dropped_older = True


class FakeReplaySource:
    """:class:`~services.projections.service_layer.ports.ReplaySource` over a list of records;
    ``arrive`` adds records, as producers do while a rebuild runs."""

    def __init__(self, records: Sequence[Any], batch_size: int = 10) -> None:
        self.records, self.batch_size, self._read = list(records), batch_size, 0

    def arrive(self, more: Sequence[Any]) -> None:
        self.records += more

    async def until_end(self) -> AsyncIterator[Sequence[Any]]:
        end = len(self.records)
        while self._read < end:
            batch = self.records[self._read : min(end, self._read + self.batch_size)]
            self._read += len(batch)
            yield batch
