"""Idempotency keys in PostgreSQL, one row per (caller, key): the answer kept for a key is
written in the same statement as the command's events (see :mod:`.writes`)."""

from __future__ import annotations

import functools

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import TextualSelect

from services.registry.adapters.db import Tables
from services.registry.adapters.writes import PendingWrites
from services.registry.service_layer.ports import ScopedKey, StoredResponse


@functools.cache
def _get_sql(tables: Tables) -> TextualSelect:
    """Built once per schema (a statement object keeps its SQLAlchemy cache key)."""
    return text(
        f"SELECT request_hash, status_code, body FROM {tables.idempotency_keys}"
        " WHERE caller = :caller AND key = :key"
    ).columns(body=JSONB)


class PostgresIdempotencyStore:
    """``IdempotencyStore`` on the unit of work's connection; ``put`` stages the answer for the
    unit of work's commit, where a key another request kept meanwhile is a
    ``ConcurrencyConflict``."""

    def __init__(self, connection: AsyncConnection, tables: Tables, pending: PendingWrites) -> None:
        self._connection = connection
        self._pending = pending
        self._get = _get_sql(tables)

    async def get(self, key: ScopedKey) -> StoredResponse | None:
        params = {"caller": key.caller, "key": key.key}
        row = (await self._connection.execute(self._get, params)).first()
        if row is None:
            return None
        return StoredResponse(request_hash=row[0], status_code=int(row[1]), body=dict(row[2]))

    async def put(self, key: ScopedKey, response: StoredResponse) -> None:
        self._pending.kept.append((key, response))
