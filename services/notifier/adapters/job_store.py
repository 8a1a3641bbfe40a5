"""Delivery jobs in PostgreSQL: claim due jobs (``FOR UPDATE SKIP LOCKED``), record attempts.

Round trips are what a delivery costs here, so the common path is two autocommit statements:
one claims several jobs and returns everything needed to send them; one records a successful
attempt (attempt row, fenced settlement, subscription health) after it. Failures, rarer, keep
their transaction of several statements (disabling a subscription needs to know it happened).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notifier.adapters.secret_box import SecretBox, UnreadableSecret
from services.notifier.service_layer.ports import ClaimedJob, Result

log = structlog.get_logger(__name__)

_CLAIM = """
WITH busy AS (
    SELECT subscription_id, count(*) AS n FROM {schema}.jobs
    WHERE status = 'in_flight' AND lease_until > :now GROUP BY subscription_id
), ranked AS (
    SELECT j.id, coalesce(b.n, 0) + row_number() OVER (
        PARTITION BY j.subscription_id ORDER BY j.next_attempt_at, j.position) AS load
    FROM {schema}.jobs j
    JOIN {schema}.subscriptions s ON s.id = j.subscription_id AND s.status = 'active'
    LEFT JOIN busy b ON b.subscription_id = j.subscription_id
    WHERE j.next_attempt_at <= :now
      AND (j.status = 'pending' OR (j.status = 'in_flight' AND j.lease_until <= :now))
), picked AS (
    SELECT j.id FROM {schema}.jobs j
    WHERE j.id IN (SELECT id FROM ranked WHERE load <= :per_sub)
      AND (j.status = 'pending' OR (j.status = 'in_flight' AND j.lease_until <= :now))
    ORDER BY j.next_attempt_at, j.position
    LIMIT :limit FOR UPDATE OF j SKIP LOCKED
), claimed AS (
    UPDATE {schema}.jobs j SET status = 'in_flight', lease_until = :lease, tries = j.tries + 1,
        updated_at = :now
    FROM picked WHERE j.id = picked.id
    RETURNING j.id, j.event_id, j.subscription_id, j.webhook_id, j.position, j.organisation_id,
        j.reasons, j.tries
)
SELECT m.due, c.id, c.subscription_id, c.webhook_id, c.position, c.organisation_id, c.reasons,
       c.tries, (SELECT count(*) FROM {schema}.attempts a WHERE a.job_id = c.id) + 1 AS attempt,
       e.payload AS event, s.channel, s.url, s.email, s.secret, s.previous_secret,
       s.previous_secret_until
FROM (SELECT count(*) AS due FROM ranked) m
LEFT JOIN (claimed c JOIN {schema}.events e USING (event_id)
    JOIN {schema}.subscriptions s ON s.id = c.subscription_id) ON true
ORDER BY c.position
"""
"""Always at least one row: ``due`` counts the due jobs before the claim (claimed, or held back
by the per-subscription limit, the LIMIT or another process's lock); job columns are NULL when
nothing was claimed."""

_ATTEMPT = (
    "INSERT INTO {schema}.attempts (job_id, attempt, started_at, duration_ms, status_code,"
    " outcome, error, next_attempt_at) VALUES (:job_id, :attempt, :started_at, :duration_ms,"
    " :status_code, :outcome, :error, :next_attempt_at)"
)

_SETTLE = (
    "UPDATE {schema}.jobs SET status = :job_status,"
    " next_attempt_at = coalesce(:next_attempt_at, next_attempt_at), lease_until = NULL,"
    " last_error = :error, updated_at = :started_at,"
    " tries = CASE WHEN :gone THEN tries - 1 ELSE tries END"
    " WHERE id = :job_id AND status = 'in_flight' AND lease_until = :lease"
)

_DELIVERED = f"""
WITH attempt AS ({_ATTEMPT}), settled AS ({_SETTLE} RETURNING subscription_id), healthy AS (
    UPDATE {{schema}}.subscriptions SET failing_since = NULL
    WHERE id IN (SELECT subscription_id FROM settled) AND failing_since IS NOT NULL
)
SELECT count(*) FROM settled
"""
"""A delivered attempt in one statement; the subscription row is written only if it was
failing (every delivery rewriting it would serialise workers on its row lock)."""


class PostgresJobStore:
    """:class:`~..service_layer.ports.JobStore`."""

    def __init__(self, engine: AsyncEngine, schema: str, box: SecretBox) -> None:
        self.engine = engine
        self.auto = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.schema = schema
        self.box = box
        self._claim = self._sql(_CLAIM)
        self._delivered = self._sql(_DELIVERED)

    def _sql(self, sql: str) -> Any:
        return text(sql.format(schema=self.schema))

    async def claim_some(
        self, now: datetime, lease: timedelta, per_subscription: int, limit: int
    ) -> tuple[list[ClaimedJob], int]:
        """The claimed jobs and how many due jobs were left unclaimed, in one statement (the
        claim and the details of what was claimed)."""
        lease_until = now + lease
        params = {"now": now, "lease": lease_until, "per_sub": per_subscription, "limit": limit}
        async with self.auto.connect() as conn:
            rows = (await conn.execute(self._claim, params)).mappings().all()
        jobs = [
            _claimed(dict(r), self._secrets(r, now), lease_until)
            for r in rows
            if r["id"] is not None
        ]
        due = int(rows[0]["due"]) if rows else 0
        return jobs, max(due - len(jobs), 0)

    def _secrets(self, row: Any, now: datetime) -> tuple[str, ...]:
        """The signing secrets in force, opened; one no key opens is left out and logged (the
        webhook sender refuses to send with none rather than send unsigned)."""
        sealed = [row["secret"]]
        until = row["previous_secret_until"]
        if until is not None and until > now:
            sealed.append(row["previous_secret"])
        opened = []
        for secret in filter(None, sealed):
            try:
                opened.append(self.box.open(secret))
            except UnreadableSecret as exc:
                log.error(
                    "webhook_secret_unreadable",
                    subscription_id=str(row["subscription_id"]),
                    detail=f"{exc}: is its key missing from REMIT_WEBHOOK_ENCRYPTION_KEYS?",
                )
        return tuple(opened)

    async def finish(self, job: ClaimedJob, result: Result, disable_after: timedelta) -> str | None:
        """Store the attempt and its consequences; return a reason if the subscription was
        disabled by this attempt (so its organisation can be told), else ``None``."""
        if result.effect == "ok":
            async with self.auto.connect() as conn:
                await conn.execute(self._delivered, _attempt_params(job, result))
            return None
        async with self.engine.begin() as conn:
            if not await self._record(conn, job, result):
                return None
            return await self._subscription_effect(conn, job, result, disable_after)

    async def _record(self, conn: AsyncConnection, job: ClaimedJob, r: Result) -> bool:
        """Log the attempt; settle the job only if our claim still holds (a worker whose lease
        ran out must not overwrite what the worker that re-claimed the job recorded)."""
        params = _attempt_params(job, r)
        await conn.execute(self._sql(_ATTEMPT), params)
        settled = await conn.execute(self._sql(_SETTLE), params)
        return bool(getattr(settled, "rowcount", 0))

    async def _subscription_effect(
        self, conn: AsyncConnection, job: ClaimedJob, r: Result, disable_after: timedelta
    ) -> str | None:
        """A failed attempt: 410 disables the subscription; any other failure marks it failing
        and disables it once it has failed for ``disable_after``."""
        now, sub = r.started_at, job.subscription_id
        if r.effect == "gone":
            reason = "the endpoint answered 410 Gone"
            return reason if await self._disable(conn, sub, reason, now) else None
        await conn.execute(
            self._sql(
                "UPDATE {schema}.subscriptions SET failing_since = coalesce(failing_since, :now) "
                "WHERE id = :subscription_id"
            ),
            {"subscription_id": sub, "now": now},
        )
        reason = f"the endpoint has failed continuously for {disable_after}"
        since = now - disable_after
        return reason if await self._disable(conn, sub, reason, now, since) else None

    async def _disable(
        self,
        conn: AsyncConnection,
        sub: uuid.UUID,
        reason: str,
        now: datetime,
        failing_before: datetime | None = None,
    ) -> bool:
        sql = (
            "UPDATE {schema}.subscriptions SET status = 'disabled', disabled_reason = :reason, "
            "updated_at = :now WHERE id = :subscription_id AND status = 'active'"
        )
        if failing_before is not None:
            sql += " AND failing_since <= :failing_before"
        params = {
            "reason": reason,
            "now": now,
            "subscription_id": sub,
            "failing_before": failing_before,
        }
        result = await conn.execute(self._sql(sql), params)
        return bool(getattr(result, "rowcount", 0))


def _attempt_params(job: ClaimedJob, r: Result) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "attempt": job.attempt,
        "started_at": r.started_at,
        "duration_ms": r.duration_ms,
        "status_code": r.status_code,
        "outcome": r.outcome,
        "error": r.error,
        "next_attempt_at": r.next_attempt_at,
        "job_status": r.job_status,
        "gone": r.effect == "gone",
        "lease": job.lease_until,
    }


def _claimed(row: dict[str, Any], secrets: tuple[str, ...], lease_until: datetime) -> ClaimedJob:
    return ClaimedJob(
        id=row["id"],
        subscription_id=row["subscription_id"],
        webhook_id=row["webhook_id"],
        position=int(row["position"]),
        organisation_id=row["organisation_id"],
        reasons=tuple(row["reasons"]),
        tries=int(row["tries"]),
        attempt=int(row["attempt"]),
        event=row["event"],
        channel=row["channel"],
        url=row["url"],
        email=row["email"],
        secrets=secrets,
        lease_until=lease_until,
    )
