"""In-memory stand-ins for the projections' ports (``service_layer/ports.py``).

A transaction works on a copy of the state and replaces it on commit; a savepoint keeps a copy
to go back to. ``tests/integration/projections/test_read_model_contract.py`` holds these and
the PostgreSQL adapters to the same behaviour.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.streams import PREFIXES
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.projections.domain import views
from services.projections.domain.fold import Corrected, Placement, Replayed
from services.projections.domain.model import KINDS, Doc, World
from services.projections.domain.needs import ALL, Lookup, filter_values
from services.projections.domain.refs import (
    Refs,
    concerned_organisations,
    concerned_recommendations,
)
from services.projections.domain.validity import Valid
from services.projections.domain.views import Counts, HistoryEntry
from services.projections.errors import OutdatedReadModel
from services.projections.service_layer.ports import Bound, Checkpoint, Facts, Head
from tests.support.dead_letters import keep_new


@dataclass
class Row:
    """A stored event and what the read model takes from it (the store's ``events`` row)."""

    stored: PositionedEvent
    fact: PositionedEvent
    placement: Placement | None
    hi: datetime
    retracted: bool = False


@dataclass
class ReadModelState:
    world: World = field(default_factory=World)
    events: dict[int, Row] = field(default_factory=dict)
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

    async def store_events(self, placed: Sequence[tuple[PositionedEvent, Placement]]) -> None:
        for positioned, placement in placed:
            if positioned.position in self.state.events:
                raise ValueError(f"position {positioned.position} is stored already")
            row = Row(positioned, positioned, placement, placement.hi)
            self.state.events[positioned.position] = row

    async def tighten(self, dated: Sequence[tuple[tuple[int, ...], datetime]]) -> None:
        for depends_on, hi in dated:
            stack = list(depends_on)
            while stack:
                row = self.state.events.get(stack.pop())
                if row is not None and row.hi > hi:
                    row.hi = hi
                    stack.extend(row.placement.depends_on if row.placement else ())

    async def stream_facts(self, stream_id: str) -> list[PositionedEvent]:
        rows = [
            r
            for r in self.state.events.values()
            if r.stored.event.stream_id == stream_id
            and not r.retracted
            and r.stored.event.type != "RecordsCorrected"
        ]
        return [r.fact for r in sorted(rows, key=lambda r: r.stored.event.stream_version)]

    async def record_correction(self, corrected: Corrected) -> None:
        correction, before, after = corrected
        self.state.events[correction.position] = Row(
            correction, correction, None, correction.event.recorded_at
        )
        kept = {fact.position for fact, _ in after}
        for fact in before:
            if fact.position not in kept:
                self.state.events[fact.position].retracted = True
        for fact, placement in reversed(after):
            row = self.state.events[fact.position]
            row.fact, row.placement = fact, placement
            dependants = [
                r.hi
                for r in self.state.events.values()
                if r.placement and fact.position in r.placement.depends_on and not r.retracted
            ]
            row.hi = min([placement.hi, *dependants])
            await self.tighten([(placement.depends_on, row.hi)])

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return keep_new(self.state.dead_letters, letters, self.published)


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


def _column(kind: str, doc: Doc, field: str) -> Any:
    """A lookup column's value, as the store computes it for the document's row."""
    computed = filter_values(kind, doc)
    return computed[field] if field in computed else getattr(doc, field, None)


def _finds(lookup: Lookup, doc: Doc) -> bool:
    if lookup.field == ALL:
        return True
    if lookup.field == "id":
        return doc.id in lookup.values
    value = _column(lookup.kind, doc, lookup.field)
    if isinstance(value, list | tuple | set):
        return bool(lookup.values & set(value))
    return value in lookup.values


def _within(row: Row, bound: Bound) -> bool:
    """What the store's ``bound_sql`` selects: up to a position, or possibly valid by a
    moment."""
    if bound.position is not None:
        return row.stored.position <= bound.position
    if bound.as_of is not None:
        lo = row.placement.lo if row.placement else None
        return lo is None or lo <= bound.as_of
    return True


class FakeSnapshot:
    """:class:`~services.projections.service_layer.ports.SnapshotReads` over what a replay of
    stored events left (:class:`~services.projections.domain.fold.Replayed`); as-of lookups
    find every stream of the kind (a superset, as allowed)."""

    def __init__(self, replayed: Replayed, head: Head) -> None:
        self.world, self.head = replayed.world, head
        self.valid = replayed.validity()
        current = {f.position: f for f, _ in replayed.all_facts()}
        self.rows = [
            Row(
                p,
                current.get(p.position, p),
                replayed.placed.get(p.position),
                p.event.recorded_at,
                p.position not in current,
            )
            for p in replayed.stored
        ]
        self.corrections = replayed.corrections

    def _facts(self, bound: Bound, streams: set[str] | None = None) -> Facts:
        facts = [
            r.fact
            for r in self.rows
            if not r.retracted
            and r.stored.event.type != "RecordsCorrected"
            and _within(r, bound)
            and (streams is None or r.fact.event.stream_id in streams)
        ]
        corrections = [
            c for c in self.corrections if streams is None or c.event.stream_id in streams
        ]
        return Facts(facts, corrections, {f.position: self.valid[f.position] for f in facts})

    async def documents(self, lookups: Sequence[Lookup], world: World) -> None:
        for lookup in lookups:
            for doc in getattr(self.world, lookup.kind).values():
                if _finds(lookup, doc):
                    getattr(world, lookup.kind).setdefault(doc.id, doc.model_copy(deep=True))

    async def every_document(self) -> World:
        return self.world.model_copy(deep=True)

    async def validity(self, positions: set[int]) -> dict[int, Valid]:
        return {p: self.valid[p] for p in positions if p in self.valid}

    async def facts(self, bound: Bound) -> Facts:
        return self._facts(bound)

    async def streams(self, lookups: Sequence[Lookup], bound: Bound) -> set[str]:
        found: set[str] = set()
        for lookup in lookups:
            prefix = PREFIXES[lookup.kind]
            if lookup.field == "id":
                found |= {prefix + v for v in lookup.values}
            else:
                found |= {r.stored.event.stream_id for r in self.rows if _within(r, bound)}
        return {s for s in found if any(s.startswith(PREFIXES[lu.kind]) for lu in lookups)}

    async def stream_facts(self, stream_ids: set[str], bound: Bound) -> Facts:
        return self._facts(bound, stream_ids)

    async def board_page(self, filters: dict[str, str | None], limit: int, offset: int) -> World:
        rows = views.board(
            self.world,
            filters["review_id"],
            filters["response_kind"],
            filters["delivery_status"],
            filters["organisation"],
        )
        page = World()
        for row in rows[offset : offset + limit]:
            page.recommendations[row["id"]] = self.world.recommendations[row["id"]]
        return page

    async def board_counts(self, review_id: str) -> Counts:
        return views.board_counts(self.world, review_id)

    async def history(self, column: str, entity_id: str, bound: Bound) -> list[HistoryEntry]:
        concerned = concerned_organisations if column == "org_ids" else concerned_recommendations
        return [
            HistoryEntry(
                r.stored.position,
                r.stored.event.type,
                r.stored.event.stream_id,
                r.stored.event.stream_version,
                r.fact.event.occurred_at,
                r.stored.event.recorded_at,
                json.loads(r.stored.event.model_dump_json()),
            )
            for r in self.rows
            if _within(r, bound)
            and entity_id in {*concerned(r.stored.event), *concerned(r.fact.event)}
        ]


class FakeReadStore:
    """:class:`~services.projections.service_layer.ports.ReadStore` over a replay of stored
    events."""

    def __init__(self, replayed: Replayed, degraded: bool = False) -> None:
        position = replayed.stored[-1].position if replayed.stored else 0
        self.snapshot_reads = FakeSnapshot(replayed, Head("fake_v1", position, degraded))

    async def head(self) -> Head:
        return self.snapshot_reads.head

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[FakeSnapshot]:
        yield self.snapshot_reads

    async def close(self) -> None:
        return None
