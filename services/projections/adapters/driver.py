"""The asyncpg connection under a SQLAlchemy one, for the statements run on every batch and
every request.

SQLAlchemy owns connections, transactions and savepoints; the hot statements go straight to
asyncpg, which prepares each SQL text once per connection and keeps it (its statement cache),
so a statement costs a bind and an execute instead of SQLAlchemy's compile-cache lookup,
parameter processing and result wrapping on top (docs/projections.md, "Hot paths").
"""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

Conn: TypeAlias = Any
"""A SQLAlchemy ``AsyncConnection`` or an asyncpg connection: store functions take what their
caller has (asyncpg is untyped, hence ``Any``)."""


async def under(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``, as it is (no transaction begun on it)."""
    return (await conn.get_raw_connection()).driver_connection


async def raw(conn: Conn) -> Any:
    """``conn`` itself, or the asyncpg connection under it inside its transaction (SQLAlchemy
    sends ``BEGIN`` with its first statement, so a ``SELECT 1`` is sent each time to be sure
    one was: callers keep what this returns)."""
    if isinstance(conn, asyncpg.Connection):
        return conn
    await conn.execute(text("SELECT 1"))
    return await under(conn)


def lost(exc: BaseException, driver: Any) -> BaseException:
    """``exc``, or a :class:`~sqlalchemy.exc.DisconnectionError` from it when ``driver``'s
    connection is gone: callers tell an outage from a poison record by SQLAlchemy's errors
    (``services.common.database.connection_lost``), as SQLAlchemy itself does (its asyncpg
    dialect calls a closed connection a disconnect)."""
    if isinstance(exc, OSError | asyncpg.exceptions.ConnectionDoesNotExistError) or (
        driver is not None and driver.is_closed()
    ):
        return sa_exc.DisconnectionError(f"{type(exc).__name__}: {exc}")
    return exc
