"""Idempotency keys in PostgreSQL, one row per (caller, key): the answer kept for a key is
written in the same statement as the command's events (see :mod:`.writes`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import TextualSelect

from services.registry.adapters.db import Tables, per_schema
from services.registry.adapters.writes import PendingWrites
from services.registry.service_layer.ports import ScopedKey, StoredResponse


@per_schema
def _get_sql(tables: Tables) -> TextualSelect:
    return text(
        f"SELECT request_hash, status_code, body FROM {tables.idempotency_keys}"
        " WHERE caller = :caller AND key = :key"
    ).columns(body=JSONB)


def stored_response(kept: Mapping[Any, Any]) -> StoredResponse:
    """An answer kept in ``idempotency_keys``, from its row or its JSON (``command_reads``)."""
    return StoredResponse(kept["request_hash"], int(kept["status_code"]), dict(kept["body"]))


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
        row = (await self._connection.execute(self._get, params)).mappings().first()
        return None if row is None else stored_response(row)

    async def put(self, key: ScopedKey, response: StoredResponse) -> None:
        self._pending.kept.append((key, response))
