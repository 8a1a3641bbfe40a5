"""In-memory stand-ins for the notifier's ports (``service_layer/ports.py``), over one shared
:class:`FakeDatabase` as the PostgreSQL adapters share one schema. The contract suites in
``tests/integration/notifier/test_*_contract.py`` hold fakes and adapters to one behaviour.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from schemas.envelope import DomainEvent
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.notifier.domain.filters import Filter, Rule
from services.notifier.domain.knowledge import Knowledge
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.outcome import Outcome
from services.notifier.domain.reasons import Reason
from services.notifier.service_layer.ports import (
    Alerted,
    ClaimedJob,
    DeliveryQuery,
    Result,
    Row,
)
from tests.support.dead_letters import Key, keep_new

PUBLIC = (
    "id organisation_id channel url email description event_types reasons include_oversight "
    "status disabled_reason failing_since created_at updated_at previous_secret_until"
).split()


@dataclass
class FakeDatabase:
    checkpoint: int = 0
    known: Knowledge = field(default_factory=Knowledge)
    rebuild_through: int | None = None
    events: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[uuid.UUID, Row] = field(default_factory=dict)
    jobs: dict[uuid.UUID, Row] = field(default_factory=dict)
    attempts: list[Row] = field(default_factory=list)
    dead_letters: dict[Key, DeadLetter] = field(default_factory=dict)
    published: list[DeadLetter] = field(default_factory=list)

    def snapshot(self) -> FakeDatabase:
        """A copy to work on or go back to; ``published`` is shared (what went to the DLQ
        topic is not undone by a rollback)."""
        published, self.published = self.published, []
        try:
            saved = copy.deepcopy(self)
        finally:
            self.published = published
        saved.published = published
        return saved

    def restore(self, saved: FakeDatabase) -> None:
        self.__dict__.update(saved.__dict__)


class FakeIngestBatch:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    async def checkpoint_and_knowledge(
        self, known: Knowledge, events: Iterable[PositionedEvent]
    ) -> int:
        await self.knowledge(known, events)
        return self.db.checkpoint

    async def knowledge(self, known: Knowledge, events: Iterable[PositionedEvent]) -> None:
        """Everything stored (more than resolving needs, which changes no answer)."""
        stored = copy.deepcopy(self.db.known)
        stored.merge(known)
        known.merge(stored)

    async def rules_for(self, organisations: Iterable[str]) -> list[Rule]:
        wanted = set(organisations)
        return [
            Rule(
                str(s["id"]),
                s["organisation_id"],
                Filter(tuple(s["event_types"]), frozenset(Reason(r) for r in s["reasons"])),
                s["include_oversight"],
            )
            for s in self.db.subscriptions.values()
            if s["organisation_id"] in wanted
        ]

    async def write(
        self, checkpoint: int, changes: Knowledge, alerts: Sequence[Alerted], now: datetime
    ) -> None:
        self.db.known.merge(copy.deepcopy(changes))
        for pe, planned in alerts:
            if planned:
                event = pe.event
                payload = event.model_dump(mode="json")
                self.db.events.setdefault(
                    event.event_id,
                    {"position": pe.position, "type": event.type, "payload": payload},
                )
            for rule, reasons in planned.items():
                self._add_job(pe, rule, reasons, now)
        self.db.checkpoint = checkpoint

    def _add_job(
        self, pe: PositionedEvent, rule: Rule, reasons: frozenset[Reason], now: datetime
    ) -> None:
        sub = uuid.UUID(rule.subscription_id)
        if any(
            j["event_id"] == pe.event.event_id and j["subscription_id"] == sub
            for j in self.db.jobs.values()
        ):
            return
        job_id = uuid.uuid4()
        self.db.jobs[job_id] = {
            "id": job_id,
            "event_id": pe.event.event_id,
            "subscription_id": sub,
            "webhook_id": webhook_id(pe.event.event_id, rule.subscription_id),
            "position": pe.position,
            "organisation_id": rule.organisation_id,
            "reasons": sorted(reasons),
            "status": "pending",
            "tries": 0,
            "next_attempt_at": now,
            "lease_until": None,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        }

    @asynccontextmanager
    async def isolated(self) -> AsyncIterator[None]:
        saved = self.db.snapshot()
        try:
            yield
        except BaseException:
            self.db.restore(saved)
            raise

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        return keep_new(self.db.dead_letters, letters, self.db.published)


class FakeIngestStore:
    """A batch works on a copy of the database and replaces it on commit."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[FakeIngestBatch]:
        working = FakeIngestBatch(self.db.snapshot())
        yield working
        self.db.restore(working.db)

    async def knowledge_to_rebuild(self) -> int | None:
        return self.db.rebuild_through

    async def replace_knowledge(self, known: Knowledge) -> None:
        self.db.known = copy.deepcopy(known)
        self.db.rebuild_through = None


class FakeSubscriptionStore:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def _public(self, row: Row) -> Row:
        return {k: row.get(k) for k in PUBLIC}

    def _visible(self, row: Row, org: str | None) -> bool:
        return org is None or row["organisation_id"] == org

    async def add(self, row: Row) -> Row:
        stored = {
            "description": None,
            "event_types": [],
            "reasons": [],
            "include_oversight": False,
            "status": "active",
            "disabled_reason": None,
            "failing_since": None,
            "previous_secret": None,
            "previous_secret_until": None,
            "url": None,
            "email": None,
            **row,
        }
        self.db.subscriptions[row["id"]] = stored
        return {**self._public(stored), "starts_after": self.db.checkpoint}

    async def position(self) -> int:
        return self.db.checkpoint

    async def knowledge_of(self, stream_id: str) -> tuple[DomainEvent, ...]:
        return self.db.known.log(stream_id)

    async def progress(self, sub_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
        found: dict[uuid.UUID, Row] = {}
        for job in self.db.jobs.values():
            if job["subscription_id"] not in sub_ids:
                continue
            row = found.setdefault(
                job["subscription_id"],
                {"first_undelivered": None, "pending": 0, "dead": 0, "delivered": 0},
            )
            status = job["status"]
            row["pending" if status == "in_flight" else status] += 1
            if status != "delivered":
                first = row["first_undelivered"]
                row["first_undelivered"] = min(job["position"], first or job["position"])
        return found

    async def get(self, sub_id: uuid.UUID, org: str | None) -> Row | None:
        row = self.db.subscriptions.get(sub_id)
        return self._public(row) if row and self._visible(row, org) else None

    async def all(self, org: str | None) -> list[Row]:
        rows = [r for r in self.db.subscriptions.values() if self._visible(r, org)]
        return [self._public(r) for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]))]

    async def email_addresses(self, org: str) -> list[str]:
        return [
            r["email"]
            for r in self.db.subscriptions.values()
            if r["organisation_id"] == org and r["channel"] == "email" and r["status"] == "active"
        ]

    async def delete(self, sub_id: uuid.UUID) -> None:
        self.db.subscriptions.pop(sub_id, None)
        for job_id in [j for j, job in self.db.jobs.items() if job["subscription_id"] == sub_id]:
            del self.db.jobs[job_id]
        self.db.attempts = [a for a in self.db.attempts if a["job_id"] in self.db.jobs]

    async def rotate(
        self, sub_id: uuid.UUID, secret: str, previous_until: datetime, now: datetime
    ) -> Row:
        row = self.db.subscriptions[sub_id]
        row.update(
            previous_secret=row["secret"],
            secret=secret,
            previous_secret_until=previous_until,
            updated_at=now,
        )
        return self._public(row)

    async def set_status(
        self, sub_id: uuid.UUID, status: str, reason: str | None, now: datetime
    ) -> Row:
        if status == "active":
            for job in self.db.jobs.values():
                if job["subscription_id"] == sub_id and job["status"] == "pending":
                    job["next_attempt_at"] = min(job["next_attempt_at"], now)
        row = self.db.subscriptions[sub_id]
        row.update(status=status, disabled_reason=reason, failing_since=None, updated_at=now)
        return self._public(row)

    async def deliveries(self, org: str | None, query: DeliveryQuery) -> list[Row]:
        def wanted(job: Row) -> bool:
            payload = self.db.events[job["event_id"]]["payload"]
            return (
                query.subscription_id in (None, job["subscription_id"])
                and query.event_position in (None, job["position"])
                and query.event_id in (None, job["event_id"])
                and query.correlation_id in (None, payload.get("correlation_id"))
            )

        jobs = [j for j in self.db.jobs.values() if self._visible(j, org) and wanted(j)]
        jobs = sorted(jobs, key=lambda j: (j["position"], str(j["id"])))[: query.limit]
        return [
            {
                **{k: j[k] for k in j if k not in ("tries", "lease_until")},
                "event_type": self.db.events[j["event_id"]]["type"],
                "correlation_id": self.db.events[j["event_id"]]["payload"].get("correlation_id"),
                "attempts": [
                    {k: a[k] for k in a if k != "job_id"}
                    for a in self.db.attempts
                    if a["job_id"] == j["id"]
                ],
            }
            for j in jobs
        ]

    async def retry(self, job_id: uuid.UUID, org: str | None, now: datetime) -> Row | None:
        job = self.db.jobs.get(job_id)
        if job is None or job["status"] == "in_flight" or not self._visible(job, org):
            return None
        job.update(status="pending", tries=0, next_attempt_at=now, updated_at=now)
        return {"id": job_id, "status": "pending"}

    async def job_owner(self, job_id: uuid.UUID) -> str | None:
        job = self.db.jobs.get(job_id)
        return None if job is None else str(job["organisation_id"])

    async def recover(self, sub_id: uuid.UUID, since: datetime, now: datetime) -> int:
        failed = {
            a["job_id"]
            for a in self.db.attempts
            if a["outcome"] != "delivered" and a["started_at"] >= since
        }
        requeued = 0
        for job in self.db.jobs.values():
            if job["subscription_id"] == sub_id and job["status"] in ("dead", "pending"):
                if job["id"] in failed:
                    job.update(status="pending", tries=0, next_attempt_at=now, updated_at=now)
                    requeued += 1
        return requeued


class FakeJobStore:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def _due(self, job: Row, now: datetime) -> bool:
        sub = self.db.subscriptions.get(job["subscription_id"])
        claimable = job["status"] == "pending" or (
            job["status"] == "in_flight" and job["lease_until"] <= now
        )
        return bool(
            sub and sub["status"] == "active" and claimable and job["next_attempt_at"] <= now
        )

    async def claim_some(
        self, now: datetime, lease: timedelta, per_subscription: int, limit: int
    ) -> tuple[list[ClaimedJob], int]:
        busy: dict[uuid.UUID, int] = {}
        for job in self.db.jobs.values():
            if job["status"] == "in_flight" and job["lease_until"] > now:
                busy[job["subscription_id"]] = busy.get(job["subscription_id"], 0) + 1
        due = sorted(
            (j for j in self.db.jobs.values() if self._due(j, now)),
            key=lambda j: (j["next_attempt_at"], j["position"]),
        )
        picked: list[Row] = []
        for job in due:
            sub = job["subscription_id"]
            if len(picked) < limit and busy.get(sub, 0) < per_subscription:
                busy[sub] = busy.get(sub, 0) + 1
                picked.append(job)
        claimed = [self._claim(job, now, now + lease) for job in picked]
        return sorted(claimed, key=lambda c: c.position), len(due) - len(claimed)

    def _claim(self, job: Row, now: datetime, lease_until: datetime) -> ClaimedJob:
        job.update(
            status="in_flight", lease_until=lease_until, tries=job["tries"] + 1, updated_at=now
        )
        sub = self.db.subscriptions[job["subscription_id"]]
        secrets = [sub["secret"]] if sub.get("secret") else []
        until = sub.get("previous_secret_until")
        if sub.get("previous_secret") and until is not None and until > now:
            secrets.append(sub["previous_secret"])
        return ClaimedJob(
            id=job["id"],
            subscription_id=job["subscription_id"],
            webhook_id=job["webhook_id"],
            position=job["position"],
            organisation_id=job["organisation_id"],
            reasons=tuple(job["reasons"]),
            tries=job["tries"],
            attempt=sum(a["job_id"] == job["id"] for a in self.db.attempts) + 1,
            event=self.db.events[job["event_id"]]["payload"],
            channel=sub["channel"],
            url=sub.get("url"),
            email=sub.get("email"),
            secrets=tuple(secrets),
            lease_until=lease_until,
        )

    async def finish(self, job: ClaimedJob, result: Result, disable_after: timedelta) -> str | None:
        self.db.attempts.append(
            {
                "job_id": job.id,
                "attempt": job.attempt,
                "started_at": result.started_at,
                "duration_ms": result.duration_ms,
                "status_code": result.status_code,
                "outcome": result.outcome,
                "error": result.error,
                "next_attempt_at": result.next_attempt_at,
            }
        )
        stored = self.db.jobs.get(job.id)
        if (
            stored is None
            or stored["status"] != "in_flight"
            or stored["lease_until"] != job.lease_until
        ):
            return None
        stored.update(
            status=result.job_status,
            next_attempt_at=result.next_attempt_at or stored["next_attempt_at"],
            lease_until=None,
            last_error=result.error,
            updated_at=result.started_at,
            tries=stored["tries"] - (result.effect == "gone"),
        )
        return self._subscription_effect(job, result, disable_after)

    def _subscription_effect(
        self, job: ClaimedJob, r: Result, disable_after: timedelta
    ) -> str | None:
        sub = self.db.subscriptions[job.subscription_id]
        if r.effect == "ok":
            sub["failing_since"] = None
            return None
        if r.effect == "gone":
            reason = "the endpoint answered 410 Gone"
            return reason if self._disable(sub, reason, r.started_at) else None
        sub["failing_since"] = sub["failing_since"] or r.started_at
        if sub["failing_since"] > r.started_at - disable_after:
            return None
        reason = f"the endpoint has failed continuously for {disable_after}"
        return reason if self._disable(sub, reason, r.started_at) else None

    def _disable(self, sub: Row, reason: str, now: datetime) -> bool:
        if sub["status"] != "active":
            return False
        sub.update(status="disabled", disabled_reason=reason, updated_at=now)
        return True


@dataclass
class Sent:
    to: str
    body: str


@dataclass
class FakeWebhookSender:
    """Answers with ``outcomes`` in turn (the last one again when they run out)."""

    outcomes: list[Outcome] = field(default_factory=lambda: [Outcome("delivered", 200)])
    sent: list[Sent] = field(default_factory=list)

    async def send(self, url: str, msg_id: str, body: str, secrets: Sequence[str]) -> Outcome:
        self.sent.append(Sent(url, body))
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


@dataclass
class FakeEmailSender:
    sent: list[Sent] = field(default_factory=list)

    async def send(
        self, to: str, subject: str, plain: str, html: str | None = None, msg_id: str = ""
    ) -> Outcome:
        self.sent.append(Sent(to, plain))
        return Outcome("delivered", 250)


def subscription_row(
    org: str, channel: str = "webhook", at: datetime | None = None, **extra: Any
) -> Row:
    """A new subscription as the service layer hands it to ``add``."""
    now = at or datetime(2026, 1, 1).astimezone()
    target = (
        {"url": "https://hooks.example.org/r"}
        if channel == "webhook"
        else {"email": f"{org}@x.test"}
    )
    return {
        "id": uuid.uuid4(),
        "organisation_id": org,
        "channel": channel,
        "secret": "whsec_" + "A" * 43 if channel == "webhook" else None,
        "created_at": now,
        "updated_at": now,
        **target,
        **extra,
    }


def as_rule(row: Row) -> Rule:
    return Rule(
        str(row["id"]), row["organisation_id"], Filter(), row.get("include_oversight", False)
    )


def replaced(result: Result, **changes: Any) -> Result:
    return replace(result, **changes)
