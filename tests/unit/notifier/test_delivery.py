"""Delivering claimed jobs over fakes (no I/O): retries on the schedule, 410 disables the
subscription and tells the organisation, a stale claim cannot settle a job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain.outcome import Outcome
from services.notifier.domain.retry import RetryPolicy
from services.notifier.service_layer.delivery import Delivery
from services.notifier.service_layer.ingest import Ingest
from services.notifier.service_layer.ports import ClaimedJob
from tests.support.records import TOPIC, records
from tests.support.smith import smith_events
from tests.unit.notifier.fakes import (
    FakeDatabase,
    FakeEmailSender,
    FakeIngestStore,
    FakeJobStore,
    FakeSubscriptionStore,
    FakeWebhookSender,
    subscription_row,
)

LEASE = timedelta(seconds=60)


@pytest.fixture
async def db() -> FakeDatabase:
    db = FakeDatabase()
    subscriptions = FakeSubscriptionStore(db)
    await subscriptions.add(subscription_row("nhs-improvement", event_types=["ActionCommitted"]))
    await subscriptions.add(subscription_row("nhs-improvement", channel="email"))
    await Ingest(FakeIngestStore(db), "test")(TOPIC, 0, records(smith_events()))
    return db


def delivery(db: FakeDatabase, webhooks: FakeWebhookSender, email: FakeEmailSender) -> Delivery:
    return Delivery(
        jobs=FakeJobStore(db),
        subscriptions=FakeSubscriptionStore(db),
        webhooks=webhooks,
        email=email,
        policy=RetryPolicy(schedule=(5.0, 60.0), jitter=0),
        disable_after=timedelta(days=5),
        ops_email="ops@remit.test",
    )


async def _webhook_job(db: FakeDatabase, now: datetime) -> ClaimedJob:
    jobs, _ = await FakeJobStore(db).claim_some(now, LEASE, per_subscription=10, limit=100)
    [job] = [j for j in jobs if j.channel == "webhook"]
    return job


async def test_a_failed_webhook_is_retried_on_the_schedule_then_dead(db: FakeDatabase) -> None:
    webhooks = FakeWebhookSender([Outcome("failed", 503, "HTTP 503")])
    deliver = delivery(db, webhooks, FakeEmailSender())
    now = datetime.now(UTC)
    job = await _webhook_job(db, now)
    first = await deliver.deliver(job)
    assert (first.job_status, first.outcome) == ("pending", "failed")
    assert first.next_attempt_at is not None
    assert first.next_attempt_at - first.started_at == timedelta(seconds=5)
    statuses = []
    for _ in range(2):
        job = await _webhook_job(db, datetime.now(UTC) + timedelta(hours=1))
        statuses.append((await deliver.deliver(job)).job_status)
    assert statuses == ["pending", "dead"]


async def test_410_disables_the_subscription_and_tells_the_organisation(
    db: FakeDatabase,
) -> None:
    email = FakeEmailSender()
    deliver = delivery(db, FakeWebhookSender([Outcome("gone", 410, "410 Gone")]), email)
    job = await _webhook_job(db, datetime.now(UTC))
    result = await deliver.deliver(job)
    subscription = db.subscriptions[job.subscription_id]
    assert (result.job_status, subscription["status"]) == ("pending", "disabled")
    assert [m.to for m in email.sent] == ["nhs-improvement@x.test"]
    assert "410" in email.sent[0].body


async def test_a_stale_claim_cannot_settle_the_job(db: FakeDatabase) -> None:
    deliver = delivery(db, FakeWebhookSender(), FakeEmailSender())
    began = datetime.now(UTC)
    jobs = FakeJobStore(db)
    stale = (await jobs.claim_some(began, timedelta(0), 10, 100))[0][0]
    owner = (await jobs.claim_some(began + timedelta(milliseconds=1), LEASE, 10, 100))[0][0]
    assert owner.id == stale.id
    await deliver.deliver(owner)
    assert db.jobs[owner.id]["status"] == "delivered"
    await jobs.finish(stale, deliver.result(stale, Outcome("failed", 500), began, 1.0), LEASE)
    assert db.jobs[owner.id]["status"] == "delivered"
    assert sum(a["job_id"] == owner.id for a in db.attempts) == 2
