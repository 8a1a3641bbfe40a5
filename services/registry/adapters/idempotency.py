"""Idempotency keys in PostgreSQL, written in the same transaction as the command's events."""

from __future__ import annotations

import functools

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import TextualSelect

from services.registry.adapters.db import Tables, unique_violation
from services.registry.adapters.writes import PendingWrites
from services.registry.errors import ConcurrencyConflict
from services.registry.service_layer.ports import StoredResponse


@functools.cache
def _idempotency_sql(tables: Tables) -> tuple[TextualSelect, TextClause]:
    """Built once per schema (a statement object keeps its SQLAlchemy cache key)."""
    get = text(
        f"SELECT request_hash, status_code, body FROM {tables.idempotency_keys} WHERE key = :key"
    ).columns(body=JSONB)
    put = text(
        f"INSERT INTO {tables.idempotency_keys} (key, request_hash, status_code, body)"
        " VALUES (:key, :request_hash, :status_code, :body)"
    ).bindparams(bindparam("body", type_=JSONB))
    return get, put


class PostgresIdempotencyStore:
    """``IdempotencyStore`` on the unit of work's connection. With a ``pending`` buffer, ``put``
    stages the answer for the unit of work's commit (one statement with the events)."""

    def __init__(
        self, connection: AsyncConnection, tables: Tables, pending: PendingWrites | None = None
    ) -> None:
        self._connection = connection
        self._pending = pending
        self._get, self._put = _idempotency_sql(tables)

    async def get(self, key: str) -> StoredResponse | None:
        row = (await self._connection.execute(self._get, {"key": key})).first()
        if row is None:
            return None
        return StoredResponse(request_hash=row[0], status_code=int(row[1]), body=dict(row[2]))

    async def put(self, key: str, response: StoredResponse) -> None:
        """Raises ``ConcurrencyConflict`` when another request with this key committed first
        (it blocks until that one commits or aborts)."""
        if self._pending is not None:
            self._pending.remembered = (key, response)
            return
        params = {
            "key": key,
            "request_hash": response.request_hash,
            "status_code": response.status_code,
            "body": response.body,
        }
        try:
            await self._connection.execute(self._put, params)
        except IntegrityError as exc:
            if unique_violation(exc)[0] is None:
                raise
            raise ConcurrencyConflict(
                f"idempotency key {key!r} was used by a request that completed meanwhile:"
                " retry to get its stored response"
            ) from exc
