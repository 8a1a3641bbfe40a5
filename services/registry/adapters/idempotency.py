"""Idempotency keys in PostgreSQL, written in the same transaction as the command's events."""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.adapters.db import Tables, unique_violation
from services.registry.errors import ConcurrencyConflict
from services.registry.service_layer.ports import StoredResponse


class PostgresIdempotencyStore:
    """``IdempotencyStore`` on the unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tables: Tables) -> None:
        self._connection = connection
        self._get = text(
            f"SELECT request_hash, status_code, body FROM {tables.idempotency_keys}"
            " WHERE key = :key"
        ).columns(body=JSONB)
        self._put = text(
            f"INSERT INTO {tables.idempotency_keys} (key, request_hash, status_code, body)"
            " VALUES (:key, :request_hash, :status_code, :body)"
        ).bindparams(bindparam("body", type_=JSONB))

    async def get(self, key: str) -> StoredResponse | None:
        row = (await self._connection.execute(self._get, {"key": key})).first()
        if row is None:
            return None
        return StoredResponse(request_hash=row[0], status_code=int(row[1]), body=dict(row[2]))

    async def put(self, key: str, response: StoredResponse) -> None:
        """Raises ``ConcurrencyConflict`` when another request with this key committed first
        (it blocks until that one commits or aborts)."""
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
