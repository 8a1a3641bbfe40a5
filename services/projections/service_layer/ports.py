"""What the projections' use cases need from the outside world. Adapters implement it
(PostgreSQL: ``adapters/read_model.py``, ``adapters/rebuild_target.py``; the topic's replay:
``services/common/replay.py``); unit tests use the fakes in ``tests/unit/projections/fakes.py``, and
``tests/integration/projections/test_read_model_contract.py`` holds both to one contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.projections.domain.fold import Corrected, Placement
from services.projections.domain.model import World
from services.projections.domain.needs import Lookup
from services.projections.domain.refs import Refs
from services.projections.domain.validity import Valid
from services.projections.domain.views import Counts, HistoryEntry


@dataclass(frozen=True)
class Bound:
    """Answer as the world was at a position, or at a moment (in valid time)."""

    position: int | None = None
    as_of: datetime | None = None

    @property
    def is_current(self) -> bool:
        return self.position is None and self.as_of is None


@dataclass(frozen=True)
class Facts:
    """Facts within a bound (corrected, in position order), the corrections of their streams
    (whatever their position: they apply at every position), and the facts' valid time."""

    facts: list[PositionedEvent]
    corrections: list[PositionedEvent]
    valid: dict[int, Valid]


@dataclass(frozen=True)
class Head:
    """The read model readers see: its data schema, the position applied, whether degraded."""

    schema: str
    position: int
    degraded: bool


@dataclass
class Checkpoint:
    """How far a partition was applied: its last Kafka offset and last global position."""

    topic: str
    partition: int
    offset: int = -1
    position: int = 0


class ReadModelWrites(Protocol):
    """Writes into one data schema, in one transaction."""

    async def save_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    async def save(self, world: World, only: Refs | None = None) -> None:
        """Upsert the documents of ``world`` (those named by ``only``, if given)."""
        ...

    async def store_events(self, placed: Sequence[tuple[PositionedEvent, Placement]]) -> None:
        """Append events not stored yet, each placed in valid time (the events table is what
        as-of answers fold)."""
        ...

    async def tighten(self, dated: Sequence[tuple[tuple[int, ...], datetime]]) -> None:
        """Dated facts were placed (in position order; each what it depends on and the time it
        is known to hold by, ``hi``): what each depends on, directly or not, held by its ``hi``
        too (:func:`~..domain.validity.lower`)."""
        ...

    async def stream_facts(self, stream_id: str) -> list[PositionedEvent]:
        """The stream's stored facts as corrected so far (fact keys), in stream order."""
        ...

    async def record_correction(self, corrected: Corrected) -> None:
        """Store a correction, and the stream's facts as it leaves them (``after``): the
        retracted ones marked, the replaced ones with their replacement, all placed again."""
        ...

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        """Record them (and send them to the DLQ topic) before the commit; the new ones."""
        ...


class ReadModelBatch(ReadModelWrites, Protocol):
    """One live batch's transaction on the active read model."""

    async def checkpoint(self, topic: str, partition: int) -> Checkpoint:
        """The partition's checkpoint, locked until the batch ends (overlapping consumers take
        turns)."""
        ...

    async def load(self, wanted: Refs) -> World:
        """The stored documents named by ``wanted``."""
        ...

    def isolated(self) -> AbstractAsyncContextManager[None]:
        """A savepoint: what fails inside is rolled back alone, and the error propagates."""
        ...


class ReadModelStore(Protocol):
    def batch(self) -> AbstractAsyncContextManager[ReadModelBatch]:
        """A transaction on the active read model, holding the pointer to it shared (a
        rebuild's switch waits); ``OutdatedReadModel`` if the model has an older shape."""
        ...


class RebuildLoad(ReadModelWrites, Protocol):
    async def insert_documents(self, world: World) -> None:
        """Every document of ``world``, none of them stored yet (in bulk)."""
        ...


class RebuildTarget(Protocol):
    """A fresh data schema that a rebuild fills, then points readers at."""

    async def create(self) -> str:
        """Create the next data schema (empty) and return its name."""
        ...

    def load(self) -> AbstractAsyncContextManager[RebuildLoad]:
        """A transaction on the new schema."""
        ...

    def switching(self) -> AbstractAsyncContextManager[RebuildLoad]:
        """A transaction holding the pointer exclusively (live batches wait) that points
        readers at the new schema when it commits."""
        ...

    async def drop_older(self) -> None:
        """Drop data schemas older than the one readers left (kept for a quick switch back)."""
        ...


class SnapshotReads(Protocol):
    """Reads in one consistent snapshot of the read model (head and documents agree)."""

    @property
    def head(self) -> Head: ...

    async def documents(self, lookups: Sequence[Lookup], world: World) -> None:
        """Add to ``world`` the current documents the lookups find (a superset is allowed:
        the views filter)."""
        ...

    async def every_document(self) -> World: ...

    async def validity(self, positions: set[int]) -> dict[int, Valid]:
        """The valid time of the facts at ``positions`` (fact keys)."""
        ...

    async def facts(self, bound: Bound) -> Facts:
        """Every fact within ``bound``, and every correction (see :class:`Facts`)."""
        ...

    async def streams(self, lookups: Sequence[Lookup], bound: Bound) -> set[str]:
        """Streams (up to ``bound``) whose documents may be what the lookups look for (a
        superset is allowed: the fold and the views decide)."""
        ...

    async def stream_facts(self, stream_ids: set[str], bound: Bound) -> Facts:
        """The facts of ``stream_ids`` within ``bound``, and their corrections."""
        ...

    async def board_page(self, filters: dict[str, str | None], limit: int, offset: int) -> World:
        """Top-level recommendations matching ``filters`` (review_id, response_kind,
        delivery_status, organisation), in board order, one page."""
        ...

    async def board_counts(self, review_id: str) -> Counts:
        """:func:`~..domain.views.board_counts` of the review's current recommendations."""
        ...

    async def history(self, column: str, entity_id: str, bound: Bound) -> list[HistoryEntry]:
        """Stored events whose ``org_ids``/``rec_ids`` name ``entity_id``, in position order."""
        ...


class ReadStore(Protocol):
    async def head(self) -> Head:
        """The head now, outside any transaction (callers take turns: one read at a time)."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[SnapshotReads]: ...

    async def close(self) -> None: ...
