"""Read side: a consistent snapshot per request, the world current or as of a bound, waits.

Each view gathers only what its plan (:mod:`needs`) names. Current answers load those
materialised documents through indexed columns; as-of answers fold the stored events of the
streams that may hold them, up to the bound, with the same :mod:`fold`; both go through the
same :mod:`views`. :meth:`Snapshot.world` (everything) is the reference the tests compare with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.wire import PositionedEvent
from services.projections.adapters import dead_letters, lookups, store
from services.projections.adapters.store import Bound
from services.projections.domain import needs, views
from services.projections.domain.fold import fold, fold_into
from services.projections.domain.model import World
from services.projections.domain.views import Counts, HistoryEntry
from services.projections.errors import NotCaughtUp


@dataclass
class Snapshot:
    conn: AsyncConnection
    schema: str
    position: int
    degraded: bool
    bound: Bound

    @property
    def reflects(self) -> int:
        """The position the answer reflects: the bound's, or the checkpoint's."""
        if self.bound.position is not None:
            return min(self.bound.position, self.position)
        return self.position

    async def world(self) -> World:
        """Every document (current) or the fold of every event up to the bound."""
        if self.bound.is_current:
            return await store.load(self.conn, self.schema)
        events = await store.events_until(self.conn, self.schema, self.bound)
        return fold(events, strict=self.bound.as_of is None)

    async def gather(self, plan: needs.Plan, world: World | None = None) -> World:
        """The documents ``plan`` needs, current or as of the bound (onto ``world``, if given:
        a board page)."""
        world = world if world is not None else World()
        if self.bound.is_current:
            for step in plan:
                await lookups.fetch(self.conn, self.schema, step(world), world)
            return world
        return await self._fold_streams(plan, world)

    async def _fold_streams(self, plan: needs.Plan, world: World) -> World:
        strict = self.bound.as_of is None
        seen: set[str] = set()
        events: list[PositionedEvent] = []
        steps_with_events = 0
        for step in plan:
            wanted = await lookups.streams(self.conn, self.schema, step(world), self.bound)
            if not (new := wanted - seen):
                continue
            fresh = await lookups.stream_events(self.conn, self.schema, new, self.bound)
            seen |= new
            events += fresh
            steps_with_events += fresh != []
            fold_into(world, fresh, strict=strict)
        if steps_with_events > 1 and world.responsibilities:
            # A hand-over keeps the names its bodies had when it happened: fold again in one
            # position order now that the bodies' streams are in.
            return fold(events, strict=strict)
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
        page = await lookups.board_page(self.conn, self.schema, filters, limit + 1, offset)
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
            counts = await lookups.board_counts(self.conn, self.schema, review_id)
        world = await self.gather(needs.review(review_id, with_recommendations=counts is None))
        return views.review_summary(world, review_id, counts)

    async def history(self, column: str, entity_id: str) -> list[HistoryEntry]:
        return await store.history(self.conn, self.schema, column, entity_id, self.bound)


class ReadModel:
    def __init__(self, engine: AsyncEngine, control: str, max_wait_s: float, poll_s: float):
        self.engine, self.control = engine, control
        self.max_wait_s, self.poll_s = max_wait_s, poll_s

    async def current_position(self) -> int:
        async with self.engine.connect() as conn:
            schema = await store.active_schema(conn, self.control)
            return await store.position(conn, schema)

    async def wait_for(self, min_position: int) -> None:
        """Return once ``min_position`` is applied; raise :class:`NotCaughtUp` after the wait."""
        deadline = time.monotonic() + self.max_wait_s
        while (reached := await self.current_position()) < min_position:
            if time.monotonic() >= deadline:
                raise NotCaughtUp(
                    f"position {min_position} not applied within {self.max_wait_s:g} s "
                    f"(at {reached})",
                    position=reached,
                )
            await asyncio.sleep(self.poll_s)

    @asynccontextmanager
    async def snapshot(self, bound: Bound, min_position: int | None) -> AsyncIterator[Snapshot]:
        wanted = max(min_position or 0, bound.position or 0)
        if wanted:
            await self.wait_for(wanted)
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                schema = await store.active_schema(conn, self.control)
                position = await store.position(conn, schema)
                degraded = await dead_letters.unacknowledged(conn, self.control) > 0
                yield Snapshot(conn, schema, position, degraded, bound)
