"""A command's writes in one statement: its events and the answer kept for its Idempotency-Key.

Round trips, not rows, are what a command costs here (each is a socket write, a wake-up of the
server and of the event loop), so the unit of work stages both and sends them together, through
the function ``append_command`` (migrations/sql/0005_idempotency_by_caller.sql). A command
that needs its bodies unchanged until it commits (shared stream locks) but runs without an open
transaction passes a :class:`Guard`: the function takes those locks and checks the versions
first, all in the one statement.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import DomainEvent
from services.registry.adapters.db import Tables, unique_violation
from services.registry.errors import ConcurrencyConflict, StaleRead
from services.registry.service_layer.ports import ScopedKey, StoredResponse

SERIALIZATION_FAILURE = "40001"


@dataclass(frozen=True)
class Guard:
    """Lock keys to hold (shared) while appending, and the versions the decision saw of the
    streams behind them."""

    lock_keys: tuple[str, ...] = ()
    versions: tuple[tuple[str, int], ...] = ()


@dataclass
class PendingWrites:
    events: list[DomainEvent] = field(default_factory=list)
    remembered: tuple[ScopedKey, StoredResponse] | None = None

    def __bool__(self) -> bool:
        return bool(self.events) or self.remembered is not None

    async def flush(
        self, connection: AsyncConnection, tables: Tables, guard: Guard = Guard()
    ) -> None:
        """Insert everything staged and forget it. Raises ``ConcurrencyConflict`` on a taken
        stream version or idempotency key, ``StaleRead`` when a guarded stream moved on."""
        if not self:
            return
        params = _parameters(self.events, self.remembered, guard)
        try:
            await connection.execute(_statement(tables), params)
        except IntegrityError as exc:
            raise _conflict(exc, self.events, self.remembered) from exc
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == SERIALIZATION_FAILURE:
                raise StaleRead(str(getattr(exc.orig, "args", [exc])[0])) from exc
            raise
        finally:
            self.events = []
            self.remembered = None


@functools.cache
def _statement(tables: Tables) -> TextClause:
    return text(
        f"SELECT {tables.schema}.append_command(CAST(:shared_keys AS text[]),"
        " CAST(:read_versions AS jsonb), CAST(:new_events AS jsonb), CAST(:kept_answer AS jsonb))"
    )


def _parameters(
    events: list[DomainEvent], remembered: tuple[ScopedKey, StoredResponse] | None, guard: Guard
) -> dict[str, Any]:
    """The arguments of ``append_command`` (sql/0005_idempotency_by_caller.sql)."""
    answer = None
    if remembered is not None:
        key, response = remembered
        answer = {
            "caller": key.caller,
            "key": key.key,
            "request_hash": response.request_hash,
            "status_code": response.status_code,
            "body": response.body,
        }
    return {
        "shared_keys": list(guard.lock_keys),
        "read_versions": json.dumps([{"stream_id": s, "version": v} for s, v in guard.versions]),
        # Each event is stored as its own JSON, so it is serialised once, by pydantic.
        "new_events": "[" + ",".join(e.model_dump_json() for e in events) + "]",
        "kept_answer": None if answer is None else json.dumps(answer),
    }


def _conflict(
    exc: IntegrityError,
    events: list[DomainEvent],
    remembered: tuple[ScopedKey, StoredResponse] | None,
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
            f"idempotency key {remembered[0].key!r} was used by a request that completed meanwhile:"
            " retry to get its stored response"
        )
    return exc
