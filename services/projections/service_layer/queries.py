"""Read side: a consistent snapshot per request, the world current or as of a bound, waits.

Each view gathers only what its plan (:mod:`needs`) names. Current answers load those
materialised documents through indexed columns (and the valid time of the facts they show);
as-of answers fold the stored facts of the streams that may hold them, within the bound, with
the same rules; both go through the same :mod:`views`. :meth:`Snapshot.world` (everything) is
the reference the tests compare with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from services.projections.domain import needs, views
from services.projections.domain.fold import fold_facts
from services.projections.domain.model import World
from services.projections.domain.presenting import fact_keys
from services.projections.domain.validity import Valid
from services.projections.domain.views import Counts, HistoryEntry
from services.projections.errors import NotCaughtUp
from services.projections.service_layer.ports import Bound, Head, ReadStore, SnapshotReads


@dataclass
class Snapshot:
    reads: SnapshotReads
    bound: Bound

    @property
    def head(self) -> Head:
        return self.reads.head

    @property
    def degraded(self) -> bool:
        return self.reads.head.degraded

    @property
    def reflects(self) -> int:
        """The position the answer reflects: the bound's, or the checkpoint's."""
        if self.bound.position is not None:
            return min(self.bound.position, self.head.position)
        return self.head.position

    async def world(self) -> World:
        """Every document (current) or the fold of every fact within the bound."""
        if self.bound.is_current:
            return await self._with_validity(await self.reads.every_document())
        found = await self.reads.facts(self.bound)
        world = fold_facts(found.facts, found.corrections)
        world.set_validity(found.valid, self.bound.as_of)
        return world

    async def gather(self, plan: needs.Plan, world: World | None = None) -> World:
        """The documents ``plan`` needs, current or as of the bound (onto ``world``, if given:
        a board page), with the valid time of the facts they show."""
        world = world if world is not None else World()
        if self.bound.is_current:
            for step in plan:
                await self.reads.documents(step(world), world)
            return await self._with_validity(world)
        return await self._fold_streams(plan, world)

    async def _with_validity(self, world: World) -> World:
        world.set_validity(await self.reads.validity(fact_keys(world)))
        return world

    async def _fold_streams(self, plan: needs.Plan, world: World) -> World:
        """Each step's streams, folded from their facts within the bound (a stream's facts
        only ever touch its own document and placeholders, so the order of steps is free)."""
        seen: set[str] = set()
        valid: dict[int, Valid] = {}
        for step in plan:
            wanted = await self.reads.streams(step(world), self.bound)
            if not (new := wanted - seen):
                continue
            found = await self.reads.stream_facts(new, self.bound)
            seen |= new
            valid |= found.valid
            fold_facts(found.facts, found.corrections, world)
        world.set_validity(valid, self.bound.as_of)
        return world

    async def board_page(
        self, filters: dict[str, str | None], limit: int, offset: int
    ) -> list[views.Json]:
        """One page of :func:`views.board` (``limit`` + 1 rows, so the caller sees more)."""
        review, organisation = filters["review_id"], filters["organisation"]
        args = (review, filters["response_kind"], filters["delivery_status"], organisation)
        if not self.bound.is_current:
            world = await self.gather(needs.board(review, organisation))
            return views.board(world, *args)[offset : offset + limit + 1]
        page = await self.reads.board_page(filters, limit + 1, offset)
        return views.board(await self.gather(needs.BOARD_DETAILS, page), *args)

    async def organisation(self, org_id: str, history: list[HistoryEntry]) -> views.Json:
        world = await self.gather(needs.organisation(org_id))
        return views.organisation_view(world, org_id, history)

    async def organisations(self, kind: str | None, status: str | None) -> list[views.Json]:
        world = await self.gather(needs.organisation_list(kind))
        return views.organisation_list(world, kind, status)

    async def recommendation(self, rec_id: str, timeline: list[HistoryEntry]) -> views.Json:
        world = await self.gather(needs.recommendation(rec_id))
        return views.recommendation_view(world, rec_id, timeline)

    async def lineage(self, responsibility_id: str) -> views.Json:
        world = await self.gather(needs.responsibility(responsibility_id))
        return views.lineage(world, responsibility_id)

    async def summary(self, review_id: str) -> views.Json:
        counts: Counts | None = None
        if self.bound.is_current:
            counts = await self.reads.board_counts(review_id)
        world = await self.gather(needs.review(review_id, with_recommendations=counts is None))
        return views.review_summary(world, review_id, counts)

    async def history(self, column: str, entity_id: str) -> list[HistoryEntry]:
        return await self.reads.history(column, entity_id, self.bound)


def _retrieved(future: asyncio.Future[Head]) -> None:
    """Mark a shared read's failure as seen, whether or not a caller is still waiting."""
    if not future.cancelled():
        future.exception()


class Reader:
    """The service's read side: heads (shared between concurrent callers), waits for a
    position, and consistent snapshots."""

    def __init__(self, store: ReadStore, max_wait_s: float, poll_s: float) -> None:
        self.store = store
        self.max_wait_s, self.poll_s = max_wait_s, poll_s
        self._next: asyncio.Future[Head] | None = None  # the read the next callers share
        self._reader: asyncio.Task[None] | None = None
        self._advanced = asyncio.Event()

    def advanced(self) -> None:
        """The in-process consumer committed a batch: waits re-read the head now instead of
        at their next poll (the poll remains for a consumer in another process)."""
        event, self._advanced = self._advanced, asyncio.Event()
        event.set()

    async def head(self) -> Head:
        """Pointer, position and degraded now: read by a statement sent after this call.

        Callers share reads: one runs at a time, and every caller arriving meanwhile waits for
        the next one, which starts after they arrived, so each still sees a head at least as
        new as its request (the same guarantee as a read of its own). Under load this turns
        hundreds of identical statements a second into one per round trip.
        """
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            self._next.add_done_callback(_retrieved)
            if self._reader is None:
                self._reader = loop.create_task(self._read_heads())
        return await asyncio.shield(self._next)

    async def _read_heads(self) -> None:
        try:
            while (round_ := self._next) is not None:
                self._next = None  # callers from now on wait for the next round
                try:
                    round_.set_result(await self._read_head())
                except Exception as exc:
                    round_.set_exception(exc)
                finally:
                    round_.cancel()  # no-op once set; if the read was cancelled, so are they
        finally:
            self._reader = None

    async def _read_head(self) -> Head:
        return await self.store.head()

    async def close(self) -> None:
        await self.store.close()

    async def wait_for(self, min_position: int) -> Head:
        """The head once ``min_position`` is applied; :class:`NotCaughtUp` after the wait."""
        deadline = time.monotonic() + self.max_wait_s
        while True:
            advanced = self._advanced  # taken before the read, so no wake-up falls between
            if (now := await self.head()).position >= min_position:
                return now
            if time.monotonic() >= deadline:
                raise NotCaughtUp(
                    f"position {min_position} not applied within {self.max_wait_s:g} s "
                    f"(at {now.position})",
                    position=now.position,
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(advanced.wait(), self.poll_s)

    @asynccontextmanager
    async def snapshot(
        self, bound: Bound, min_position: int | None, waited: bool = False
    ) -> AsyncIterator[Snapshot]:
        """One consistent snapshot: head and documents agree. ``waited``:
        the caller already waited for ``min_position`` and the bound."""
        wanted = max(min_position or 0, bound.position or 0)
        if wanted and not waited:
            await self.wait_for(wanted)
        async with self.store.snapshot() as reads:
            yield Snapshot(reads, bound)
