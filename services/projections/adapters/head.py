"""The read model's head: the active data schema, the position applied, whether degraded.

Readers read it on every request (a rebuild may have switched the pointer), so it is one
statement: the pointer, the checkpoint of the schema the caller expects to be active, and
whether any dead letter is open. When the pointer names another schema (after a rebuild), the
statement is repeated for that one. :class:`HeadSource` sends it on a connection of its own,
straight through the driver, since it runs for every request (docs/benchmarks.md: why).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.projections.adapters import driver, store
from services.projections.service_layer.ports import Head

_SQL = (
    "SELECT a.data_schema, (SELECT max(position) FROM {schema}.checkpoint), "
    "EXISTS (SELECT 1 FROM {control}.dead_letters WHERE acknowledged_at IS NULL) "
    "FROM {control}.active a"
)


async def read(conn: AsyncConnection, control: str) -> Head:
    """The head inside the caller's transaction: the pointer, then the statement for it (both
    in the transaction's snapshot, so they agree)."""
    schema = await store.active_schema(conn, control)
    sql = _SQL.format(schema=schema, control=control)
    _, position, degraded = (await conn.execute(text(sql))).one()
    return Head(schema, int(position or 0), bool(degraded))


class HeadSource:
    """The head outside a transaction, in one round trip while the active schema is the one
    seen last; for callers that take turns (one read at a time).

    With ``keep``, on a connection kept for it (opened on first use; dropped on any error and
    the read tried once more on a new one; the owner must :meth:`close` it); otherwise on one
    checked out per read. Either way autocommit: no transaction, so a failed statement poisons
    nothing.
    """

    def __init__(self, engine: AsyncEngine, control: str, keep: bool = False) -> None:
        self.engine, self.control, self.keep = engine, control, keep
        self._conn: AsyncConnection | None = None
        self._schema: str | None = None  # the last active schema seen: a guess, checked

    async def read(self) -> Head:
        if not self.keep:
            async with self.engine.connect() as conn:
                found = await self._read(await driver.under(conn), self._schema)
        else:
            reused = self._conn is not None
            try:
                found = await self._read_kept()
            except Exception:
                if not reused:
                    raise
                # PostgreSQL may have closed the kept connection while it sat idle (a restart,
                # a timeout): once more, on a new connection, before calling it an outage.
                found = await self._read_kept()
        self._schema = found.schema
        return found

    async def _read_kept(self) -> Head:
        if self._conn is None:
            self._conn = await self.engine.connect()
        try:
            return await self._read(await driver.under(self._conn), self._schema)
        except Exception:
            await self.close()
            raise

    async def _read(self, driver: Any, expected: str | None) -> Head:
        pointer = f"SELECT data_schema FROM {self.control}.active"
        schema = expected or str(await driver.fetchval(pointer))
        while True:
            try:
                row = await driver.fetchrow(_SQL.format(schema=schema, control=self.control))
            except asyncpg.UndefinedTableError:
                if expected is None:
                    raise
                expected, schema = None, str(await driver.fetchval(pointer))
                continue
            if row[0] == schema:
                return Head(schema, int(row[1] or 0), bool(row[2]))
            schema = str(row[0])

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.invalidate()  # not back to the pool: its state is unknown after an error
            await conn.close()
