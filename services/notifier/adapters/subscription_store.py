"""Subscriptions and their delivery history in PostgreSQL (the API's side):
:class:`~..service_layer.ports.SubscriptionStore`. Webhook signing secrets are stored sealed
(:mod:`.secret_box`): they are written, never read back, here."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.notifier.adapters.secret_box import SecretBox
from services.notifier.service_layer.ports import DeliveryQuery, Row

_PUBLIC = (
    "id, organisation_id, channel, url, email, description, event_types, reasons, "
    "include_oversight, status, disabled_reason, failing_since, created_at, updated_at, "
    "previous_secret_until"
)
_OF_ORG = "(CAST(:org AS text) IS NULL OR organisation_id = :org)"
"""Rows of ``:org``, or of every organisation when it is NULL (an admin)."""


class PostgresSubscriptionStore:
    def __init__(self, engine: AsyncEngine, schema: str, box: SecretBox) -> None:
        self.engine = engine
        self.schema = schema
        self.box = box

    async def _rows(self, sql: str, **params: Any) -> list[Row]:
        async with self.engine.begin() as conn:
            result = await conn.execute(text(sql.format(schema=self.schema)), params)
            return [dict(r) for r in result.mappings()] if result.returns_rows else []

    async def add(self, row: Row) -> Row:
        if row.get("secret") is not None:
            row = {**row, "secret": self.box.seal(row["secret"])}
        columns = ", ".join(row)
        values = ", ".join(f":{k}" for k in row)
        insert = (
            f"INSERT INTO {self.schema}.subscriptions ({columns}) VALUES ({values})"
            f" RETURNING {_PUBLIC}"
        )
        # FOR SHARE waits for a batch being ingested (it holds the row FOR UPDATE) and keeps
        # the next from reading the subscriptions until this one is stored.
        position = f"SELECT position FROM {self.schema}.checkpoint WHERE id = 1 FOR SHARE"
        async with self.engine.begin() as conn:
            starts_after = int((await conn.execute(text(position))).scalar_one())
            stored = dict((await conn.execute(text(insert), row)).mappings().one())
        return {**stored, "starts_after": starts_after}

    async def position(self) -> int:
        rows = await self._rows("SELECT position FROM {schema}.checkpoint WHERE id = 1")
        return int(rows[0]["position"])

    async def knowledge_of(self, stream_id: str) -> tuple[DomainEvent, ...]:
        rows = await self._rows(
            "SELECT CAST(events AS text) AS events FROM {schema}.knowledge"
            " WHERE stream_id = :stream_id",
            stream_id=stream_id,
        )
        return tuple(decode(e) for r in rows for e in json.loads(r["events"]))

    async def progress(self, sub_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
        if not sub_ids:
            return {}
        rows = await self._rows(
            "SELECT subscription_id,"
            " min(position) FILTER (WHERE status <> 'delivered') AS first_undelivered,"
            " count(*) FILTER (WHERE status IN ('pending', 'in_flight')) AS pending,"
            " count(*) FILTER (WHERE status = 'dead') AS dead,"
            " count(*) FILTER (WHERE status = 'delivered') AS delivered"
            " FROM {schema}.jobs WHERE subscription_id = ANY(:ids) GROUP BY subscription_id",
            ids=list(sub_ids),
        )
        return {r.pop("subscription_id"): r for r in rows}

    async def get(self, sub_id: uuid.UUID, org: str | None) -> Row | None:
        rows = await self._rows(
            f"SELECT {_PUBLIC} FROM {{schema}}.subscriptions WHERE id = :id AND {_OF_ORG}",
            id=sub_id,
            org=org,
        )
        return rows[0] if rows else None

    async def all(self, org: str | None) -> list[Row]:
        return await self._rows(
            f"SELECT {_PUBLIC} FROM {{schema}}.subscriptions WHERE {_OF_ORG}"
            " ORDER BY created_at, id",
            org=org,
        )

    async def email_addresses(self, org: str) -> list[str]:
        rows = await self._rows(
            "SELECT email FROM {schema}.subscriptions WHERE organisation_id = :org "
            "AND channel = 'email' AND status = 'active'",
            org=org,
        )
        return [str(r["email"]) for r in rows]

    async def delete(self, sub_id: uuid.UUID) -> None:
        await self._rows("DELETE FROM {schema}.subscriptions WHERE id = :id", id=sub_id)

    async def rotate(
        self, sub_id: uuid.UUID, secret: str, previous_until: datetime, now: datetime
    ) -> Row:
        sql = (
            "UPDATE {schema}.subscriptions SET previous_secret = secret, secret = :secret, "
            f"previous_secret_until = :until, updated_at = :now WHERE id = :id RETURNING {_PUBLIC}"
        )
        sealed = self.box.seal(secret)
        return (await self._rows(sql, secret=sealed, until=previous_until, now=now, id=sub_id))[0]

    async def set_status(
        self, sub_id: uuid.UUID, status: str, reason: str | None, now: datetime
    ) -> Row:
        resume = (
            "UPDATE {schema}.jobs SET next_attempt_at = :now, updated_at = :now "
            "WHERE subscription_id = :id AND status = 'pending' AND next_attempt_at > :now"
        )
        update = (
            "UPDATE {schema}.subscriptions SET status = :status, disabled_reason = :reason, "
            f"failing_since = NULL, updated_at = :now WHERE id = :id RETURNING {_PUBLIC}"
        )
        async with self.engine.begin() as conn:
            if status == "active":
                await conn.execute(
                    text(resume.format(schema=self.schema)), {"id": sub_id, "now": now}
                )
            result = await conn.execute(
                text(update.format(schema=self.schema)),
                {"status": status, "reason": reason, "now": now, "id": sub_id},
            )
            return dict(result.mappings().one())

    async def deliveries(self, org: str | None, query: DeliveryQuery) -> list[Row]:
        jobs = await self._rows(
            "SELECT j.id, j.subscription_id, j.webhook_id, j.event_id, j.position, "
            "j.organisation_id, j.reasons, j.status, j.next_attempt_at, j.last_error, "
            "j.created_at, j.updated_at, e.type AS event_type, "
            "e.payload ->> 'correlation_id' AS correlation_id FROM {schema}.jobs j "
            "JOIN {schema}.events e USING (event_id) "
            "WHERE (CAST(:subscription_id AS uuid) IS NULL"
            " OR j.subscription_id = :subscription_id) "
            "AND (CAST(:org AS text) IS NULL OR j.organisation_id = :org) "
            "AND (CAST(:position AS bigint) IS NULL OR j.position = :position) "
            "AND (CAST(:event_id AS uuid) IS NULL OR j.event_id = :event_id) "
            "AND (CAST(:correlation_id AS text) IS NULL"
            " OR e.payload ->> 'correlation_id' = :correlation_id) "
            "ORDER BY j.position, j.id LIMIT :limit",
            subscription_id=query.subscription_id,
            org=org,
            position=query.event_position,
            event_id=query.event_id,
            correlation_id=query.correlation_id,
            limit=query.limit,
        )
        if not jobs:
            return []
        attempts = await self._rows(
            "SELECT job_id, attempt, started_at, duration_ms, status_code, outcome, error, "
            "next_attempt_at FROM {schema}.attempts WHERE job_id = ANY(:ids) ORDER BY job_id, id",
            ids=[j["id"] for j in jobs],
        )
        by_job: dict[Any, list[Row]] = {}
        for a in attempts:
            by_job.setdefault(a.pop("job_id"), []).append(a)
        return [{**j, "attempts": by_job.get(j["id"], [])} for j in jobs]

    async def retry(self, job_id: uuid.UUID, org: str | None, now: datetime) -> Row | None:
        rows = await self._rows(
            "UPDATE {schema}.jobs SET status = 'pending', tries = 0, next_attempt_at = :now, "
            f"updated_at = :now WHERE id = :id AND status <> 'in_flight' AND {_OF_ORG} "
            "RETURNING id, status",
            id=job_id,
            org=org,
            now=now,
        )
        return rows[0] if rows else None

    async def job_owner(self, job_id: uuid.UUID) -> str | None:
        rows = await self._rows(
            "SELECT organisation_id FROM {schema}.jobs WHERE id = :id", id=job_id
        )
        return str(rows[0]["organisation_id"]) if rows else None

    async def recover(self, sub_id: uuid.UUID, since: datetime, now: datetime) -> int:
        rows = await self._rows(
            "UPDATE {schema}.jobs j SET status = 'pending', tries = 0, next_attempt_at = :now, "
            "updated_at = :now WHERE j.subscription_id = :id AND j.status IN ('dead', 'pending') "
            "AND EXISTS (SELECT 1 FROM {schema}.attempts a WHERE a.job_id = j.id "
            "AND a.outcome <> 'delivered' AND a.started_at >= :since) RETURNING j.id",
            id=sub_id,
            since=since,
            now=now,
        )
        return len(rows)
