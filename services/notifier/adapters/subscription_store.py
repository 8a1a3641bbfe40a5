"""Subscriptions and their delivery history in PostgreSQL (the API's side)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

Row = dict[str, Any]
_PUBLIC = (
    "id, organisation_id, channel, url, email, description, event_types, reasons, "
    "include_oversight, status, disabled_reason, failing_since, created_at, updated_at, "
    "previous_secret_until"
)


class SubscriptionStore:
    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        self.engine = engine
        self.s = schema

    async def _rows(self, sql: str, **params: Any) -> list[Row]:
        async with self.engine.begin() as conn:
            result = await conn.execute(text(sql.format(s=self.s)), params)
            return [dict(r) for r in result.mappings()] if result.returns_rows else []

    async def add(self, row: Row) -> Row:
        cols = ", ".join(row)
        values = ", ".join(f":{k}" for k in row)
        sql = f"INSERT INTO {{s}}.subscriptions ({cols}) VALUES ({values}) RETURNING {_PUBLIC}"
        return (await self._rows(sql, **row))[0]

    async def get(self, sub_id: uuid.UUID, org: str | None) -> Row | None:
        """The subscription, if it exists and belongs to ``org`` (``None``: any, for admins)."""
        rows = await self._rows(
            f"SELECT {_PUBLIC} FROM {{s}}.subscriptions WHERE id = :i "
            "AND (CAST(:o AS text) IS NULL OR organisation_id = :o)",
            i=sub_id,
            o=org,
        )
        return rows[0] if rows else None

    async def all(self, org: str | None) -> list[Row]:
        return await self._rows(
            f"SELECT {_PUBLIC} FROM {{s}}.subscriptions "
            "WHERE CAST(:o AS text) IS NULL OR organisation_id = :o ORDER BY created_at, id",
            o=org,
        )

    async def email_addresses(self, org: str) -> list[str]:
        rows = await self._rows(
            "SELECT email FROM {s}.subscriptions WHERE organisation_id = :o "
            "AND channel = 'email' AND status = 'active'",
            o=org,
        )
        return [str(r["email"]) for r in rows]

    async def delete(self, sub_id: uuid.UUID) -> None:
        await self._rows("DELETE FROM {s}.subscriptions WHERE id = :i", i=sub_id)

    async def rotate(
        self, sub_id: uuid.UUID, secret: str, previous_until: datetime, now: datetime
    ) -> Row:
        sql = (
            "UPDATE {s}.subscriptions SET previous_secret = secret, secret = :sec, "
            f"previous_secret_until = :u, updated_at = :t WHERE id = :i RETURNING {_PUBLIC}"
        )
        return (await self._rows(sql, sec=secret, u=previous_until, t=now, i=sub_id))[0]

    async def set_status(
        self, sub_id: uuid.UUID, status: str, reason: str | None, now: datetime
    ) -> Row:
        """Enable (resuming pending jobs now) or disable a subscription."""
        async with self.engine.begin() as conn:
            if status == "active":
                await conn.execute(
                    text(
                        f"UPDATE {self.s}.jobs SET next_attempt_at = :t, updated_at = :t "
                        "WHERE subscription_id = :i AND status = 'pending' AND next_attempt_at > :t"
                    ),
                    {"i": sub_id, "t": now},
                )
            result = await conn.execute(
                text(
                    f"UPDATE {self.s}.subscriptions SET status = :st, disabled_reason = :r, "
                    f"failing_since = NULL, updated_at = :t WHERE id = :i RETURNING {_PUBLIC}"
                ),
                {"st": status, "r": reason, "t": now, "i": sub_id},
            )
            return dict(result.mappings().one())

    async def deliveries(self, sub_id: uuid.UUID | None, org: str | None, limit: int) -> list[Row]:
        jobs = await self._rows(
            "SELECT j.id, j.subscription_id, j.webhook_id, j.event_id, j.position, "
            "j.organisation_id, j.reasons, j.status, j.next_attempt_at, j.last_error, "
            "j.created_at, j.updated_at, e.type AS event_type FROM {s}.jobs j "
            "JOIN {s}.events e USING (event_id) "
            "WHERE (CAST(:sub AS uuid) IS NULL OR j.subscription_id = :sub) "
            "AND (CAST(:o AS text) IS NULL OR j.organisation_id = :o) "
            "ORDER BY j.position, j.id LIMIT :n",
            sub=sub_id,
            o=org,
            n=limit,
        )
        if not jobs:
            return []
        attempts = await self._rows(
            "SELECT job_id, attempt, started_at, duration_ms, status_code, outcome, error, "
            "next_attempt_at FROM {s}.attempts WHERE job_id = ANY(:ids) ORDER BY job_id, id",
            ids=[j["id"] for j in jobs],
        )
        by_job: dict[Any, list[Row]] = {}
        for a in attempts:
            by_job.setdefault(a.pop("job_id"), []).append(a)
        return [{**j, "attempts": by_job.get(j["id"], [])} for j in jobs]

    async def retry(self, job_id: uuid.UUID, org: str | None, now: datetime) -> Row | None:
        """Requeue one delivery now with a fresh retry schedule (unless it is in flight)."""
        rows = await self._rows(
            "UPDATE {s}.jobs SET status = 'pending', tries = 0, next_attempt_at = :t, "
            "updated_at = :t WHERE id = :i AND status <> 'in_flight' "
            "AND (CAST(:o AS text) IS NULL OR organisation_id = :o) RETURNING id, status",
            i=job_id,
            o=org,
            t=now,
        )
        return rows[0] if rows else None

    async def job_owner(self, job_id: uuid.UUID) -> str | None:
        rows = await self._rows("SELECT organisation_id FROM {s}.jobs WHERE id = :i", i=job_id)
        return str(rows[0]["organisation_id"]) if rows else None

    async def recover(self, sub_id: uuid.UUID, since: datetime, now: datetime) -> int:
        """Requeue every job of the subscription dead, or failing, since ``since``."""
        rows = await self._rows(
            "UPDATE {s}.jobs j SET status = 'pending', tries = 0, next_attempt_at = :t, "
            "updated_at = :t WHERE j.subscription_id = :i AND j.status IN ('dead', 'pending') "
            "AND EXISTS (SELECT 1 FROM {s}.attempts a WHERE a.job_id = j.id "
            "AND a.outcome <> 'delivered' AND a.started_at >= :since) RETURNING j.id",
            i=sub_id,
            since=since,
            t=now,
        )
        return len(rows)
