"""A batch's writes in one statement: its events and the answers kept for its Idempotency-Keys.

Round trips, not rows, are what a command costs here (each is a socket write, a wake-up of the
server and of the event loop), so the unit of work stages both and sends them together, through
the function ``append_command`` (migrations/sql/0006_group_commit.sql). A command
that needs its bodies unchanged until it commits (shared stream locks) but runs without an open
transaction passes a :class:`Guard`: the function takes those locks and checks the versions
first, all in the one statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import DomainEvent
from services.registry.adapters.db import Tables, per_schema, unique_violation
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
    kept: list[tuple[ScopedKey, StoredResponse]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.events or self.kept)

    async def flush(
        self, connection: AsyncConnection, tables: Tables, guard: Guard = Guard()
    ) -> None:
        """Insert everything staged and forget it. Raises ``ConcurrencyConflict`` on a taken
        stream version or idempotency key, ``StaleRead`` when a guarded stream moved on."""
        if not self:
            return
        params = _parameters(self.events, self.kept, guard)
        try:
            await connection.execute(_statement(tables), params)
        except IntegrityError as exc:
            raise _conflict(exc, self.events, self.kept) from exc
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == SERIALIZATION_FAILURE:
                raise StaleRead(str(getattr(exc.orig, "args", [exc])[0])) from exc
            raise
        finally:
            self.events = []
            self.kept = []


@per_schema
def _statement(tables: Tables) -> TextClause:
    return text(
        f"SELECT {tables.schema}.append_command(CAST(:shared_keys AS text[]),"
        " CAST(:read_versions AS jsonb), CAST(:new_events AS jsonb), CAST(:kept_answers AS jsonb))"
    )


def _parameters(
    events: list[DomainEvent], kept: list[tuple[ScopedKey, StoredResponse]], guard: Guard
) -> dict[str, Any]:
    """The arguments of ``append_command`` (sql/0006_group_commit.sql)."""
    answers = [
        {
            "caller": key.caller,
            "key": key.key,
            "request_hash": response.request_hash,
            "status_code": response.status_code,
            "body": response.body,
        }
        for key, response in kept
    ]
    return {
        "shared_keys": list(guard.lock_keys),
        "read_versions": json.dumps([{"stream_id": s, "version": v} for s, v in guard.versions]),
        # Each event is stored as its own JSON, so it is serialised once, by pydantic.
        "new_events": "[" + ",".join(e.model_dump_json() for e in events) + "]",
        "kept_answers": json.dumps(answers),
    }


def _conflict(
    exc: IntegrityError,
    events: list[DomainEvent],
    kept: list[tuple[ScopedKey, StoredResponse]],
) -> Exception:
    constraint, detail = unique_violation(exc)
    if constraint == "events_pkey":
        attempted = ", ".join(f"{e.stream_id}@{e.stream_version}" for e in events)
        return ConcurrencyConflict(
            f"stream version already taken ({detail or 'duplicate (stream_id, stream_version)'});"
            f" attempted {attempted}: reload the stream and retry"
        )
    if constraint == "idempotency_keys_pkey" and kept:
        return ConcurrencyConflict(
            f"an idempotency key ({detail or ', '.join(repr(k.key) for k, _ in kept)}) was used"
            " by a request that completed meanwhile: retry to get its stored response"
        )
    return exc
