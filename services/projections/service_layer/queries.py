"""Read side: a consistent snapshot per request, the world current or as of a bound, waits.

Current answers load the materialised documents; as-of answers fold the stored events up to the
bound with the same :mod:`fold`, and both go through the same :mod:`views`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.projections.adapters import dead_letters, store
from services.projections.adapters.store import Bound
from services.projections.domain.fold import fold
from services.projections.domain.model import World
from services.projections.domain.views import HistoryEntry
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
        if self.bound.is_current:
            return await store.load(self.conn, self.schema)
        events = await store.events_until(self.conn, self.schema, self.bound)
        return fold(events, strict=self.bound.as_of is None)

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
