"""A command's writes in one statement: its events and the answer kept for its Idempotency-Key.

Round trips, not rows, are what a command costs here (each is a socket write, a wake-up of the
server and of the event loop), so the unit of work stages both and sends them together at
commit. Events keep their order: ``WITH ORDINALITY`` feeds the insert in array order, so the
serial ``id`` (insertion order, which the sequencer follows) keeps each stream in version order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import DomainEvent
from services.registry.adapters.db import Tables, unique_violation
from services.registry.errors import ConcurrencyConflict
from services.registry.service_layer.ports import StoredResponse


@dataclass
class PendingWrites:
    events: list[DomainEvent] = field(default_factory=list)
    remembered: tuple[str, StoredResponse] | None = None

    def __bool__(self) -> bool:
        return bool(self.events) or self.remembered is not None

    async def flush(self, connection: AsyncConnection, tables: Tables) -> None:
        """Insert everything staged (raises ``ConcurrencyConflict`` on a taken stream version or
        idempotency key) and forget it."""
        if not self:
            return
        params = _parameters(self.events, self.remembered)
        try:
            await connection.execute(_statement(tables), params)
        except IntegrityError as exc:
            raise _conflict(exc, self.events, self.remembered) from exc
        finally:
            self.events = []
            self.remembered = None


_STATEMENTS: dict[Tables, Any] = {}


def _statement(tables: Tables) -> Any:
    if tables not in _STATEMENTS:
        _STATEMENTS[tables] = text(
            "WITH appended AS ("
            f" INSERT INTO {tables.events} (stream_id, stream_version, event_id, event_type,"
            " schema_version, payload, recorded_at)"
            " SELECT s, v, i, t, sv, CAST(p AS jsonb), r FROM unnest(CAST(:streams AS text[]),"
            " CAST(:versions AS integer[]), CAST(:ids AS uuid[]), CAST(:types AS text[]),"
            " CAST(:schema_versions AS integer[]), CAST(:payloads AS text[]),"
            " CAST(:recorded AS timestamptz[])) WITH ORDINALITY AS u(s, v, i, t, sv, p, r, n)"
            " ORDER BY n RETURNING 1)"  # a trigger on events notifies the relay
            f" INSERT INTO {tables.idempotency_keys} (key, request_hash, status_code, body)"
            " SELECT CAST(:key AS text), CAST(:hash AS text), CAST(:status AS integer),"
            " CAST(:body AS jsonb)"
            " WHERE CAST(:key AS text) IS NOT NULL"
        )
    return _STATEMENTS[tables]


def _parameters(
    events: list[DomainEvent], remembered: tuple[str, StoredResponse] | None
) -> dict[str, Any]:
    key, response = remembered if remembered else (None, None)
    return {
        "streams": [e.stream_id for e in events],
        "versions": [e.stream_version for e in events],
        "ids": [e.event_id for e in events],
        "types": [e.type for e in events],
        "schema_versions": [e.schema_version for e in events],
        "payloads": [e.model_dump_json() for e in events],
        "recorded": [e.recorded_at for e in events],
        "key": key,
        "hash": response.request_hash if response else None,
        "status": response.status_code if response else None,
        "body": json.dumps(response.body) if response else None,
    }


def _conflict(
    exc: IntegrityError,
    events: list[DomainEvent],
    remembered: tuple[str, StoredResponse] | None,
) -> Exception:
    constraint, detail = unique_violation(exc)
    if constraint == "events_pkey":
        attempted = ", ".join(f"{e.stream_id}@{e.stream_version}" for e in events)
        return ConcurrencyConflict(
            f"stream version already taken ({detail or 'duplicate (stream_id, stream_version)'});"
            f" attempted {attempted}: reload the stream and retry"
        )
    if constraint == "idempotency_keys_pkey" and remembered is not None:
        return ConcurrencyConflict(
            f"idempotency key {remembered[0]!r} was used by a request that completed meanwhile:"
            " retry to get its stored response"
        )
    return exc
