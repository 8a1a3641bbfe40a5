"""The read model's head: the active data schema, the position applied, whether degraded.

Readers read it on every request (a rebuild may have switched the pointer), so it is one
statement: the pointer, the checkpoint of the schema the caller expects to be active, and
whether any dead letter is open. When the pointer names another schema (after a rebuild), the
statement is repeated for that one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.projections.adapters import store


@dataclass(frozen=True)
class Head:
    schema: str
    position: int
    degraded: bool


_SQL = (
    "SELECT a.data_schema, (SELECT max(position) FROM {schema}.checkpoint), "
    "EXISTS (SELECT 1 FROM {control}.dead_letters WHERE acknowledged_at IS NULL) "
    "FROM {control}.active a"
)


async def read(conn: AsyncConnection, control: str, expected: str | None = None) -> Head:
    """The head, in one round trip when ``expected`` is the active schema.

    Without ``expected`` the pointer is read first (two round trips, no failure possible: use
    this inside a transaction). With it, a schema dropped since (two rebuilds) fails the
    statement, so pass it only outside a transaction (autocommit).
    """
    schema = expected or await store.active_schema(conn, control)
    while True:
        try:
            sql = _SQL.format(schema=schema, control=control)
            active, position, degraded = (await conn.execute(text(sql))).one()
        except ProgrammingError:
            if expected is None:
                raise
            expected, schema = None, await store.active_schema(conn, control)
            continue
        if active == schema:
            return Head(schema, int(position or 0), bool(degraded))
        schema = str(active)
