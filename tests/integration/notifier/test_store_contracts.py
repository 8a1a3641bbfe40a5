"""One contract, two implementations: the in-memory stores the unit tests use and the PostgreSQL
adapters the notifier runs (ingest, subscriptions, jobs). Every test runs against both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schemas.wire import PositionedEvent
from services.common.dead_letters import (
    DeadLetter,
    DeadLetterSink,
    DeadLetterStore,
    SourceRecord,
)
from services.notifier.adapters.ingest_store import PostgresIngestStore
from services.notifier.adapters.job_store import PostgresJobStore
from services.notifier.adapters.secret_box import DEVELOPMENT_KEY, SecretBox
from services.notifier.adapters.subscription_store import PostgresSubscriptionStore
from services.notifier.domain.filters import plan
from services.notifier.domain.knowledge import Knowledge, evolve, fold
from services.notifier.domain.resolution import Affected, resolve
from services.notifier.migrations import migrate
from services.notifier.service_layer.ports import (
    DeliveryQuery,
    IngestBatch,
    IngestStore,
    JobStore,
    Result,
    Row,
    SubscriptionStore,
)
from tests.support.eventually import eventually
from tests.support.smith import smith_events
from tests.unit.notifier.fakes import (
    FakeDatabase,
    FakeIngestStore,
    FakeJobStore,
    FakeSubscriptionStore,
    as_rule,
    subscription_row,
)

pytestmark = pytest.mark.integration
EVENTS = list(smith_events())
NHSI = "nhs-improvement"
LEASE = timedelta(seconds=60)


@dataclass
class Stores:
    ingest: IngestStore
    subscriptions: SubscriptionStore
    jobs: JobStore
    published: list[DeadLetter]
    another_consumer: Callable[[], IngestStore]
    """A second ingest store on the same database (another process of the consumer group)."""


class Published(list[DeadLetter]):
    async def publish(self, letter: DeadLetter) -> None:
        self.append(letter)


@pytest.fixture(params=["fake", "postgres"])
async def stores(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Stores]:
    if request.param == "fake":
        db = FakeDatabase()
        yield Stores(
            FakeIngestStore(db),
            FakeSubscriptionStore(db),
            FakeJobStore(db),
            db.published,
            lambda: FakeIngestStore(db),
        )
        return
    schema = f"notifier_{uuid.uuid4().hex[:10]}"
    await migrate(database_url, schema, "contract", [DEVELOPMENT_KEY])
    engine = create_async_engine(database_url)
    published = Published()
    sink = DeadLetterSink(DeadLetterStore(engine, schema, "contract"), published)
    yield Stores(
        PostgresIngestStore(engine, schema, sink),
        PostgresSubscriptionStore(engine, schema, SecretBox([DEVELOPMENT_KEY])),
        PostgresJobStore(engine, schema, SecretBox([DEVELOPMENT_KEY])),
        published,
        lambda: PostgresIngestStore(engine, schema, sink),
    )
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


async def _ingest_all(stores: Stores) -> None:
    """Every Smith event, planned against the stored subscriptions, in one batch."""
    await _ingest(stores.ingest, EVENTS)


async def _ingest(store: IngestStore, events: Sequence[PositionedEvent]) -> None:
    """``events`` in one batch, as the ingest use case does it (resolved with what the
    batch reads, in order)."""
    async with store.batch() as batch:
        await _apply(batch, events)


async def _apply(
    batch: IngestBatch,
    events: Sequence[PositionedEvent],
    locked: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Read (locking the checkpoint), then, after ``locked``, resolve and write ``events``."""
    known, changes, alerts = Knowledge(), Knowledge(), []
    await batch.checkpoint_and_knowledge(known, events)
    if locked is not None:
        await locked()
    rules = await batch.rules_for([NHSI])
    for pe in events:
        await batch.knowledge(known, [pe])
        alerts.append((pe, plan(pe.event.type, resolve(pe.event, known), rules)))
        known.merge(changed := evolve(known, pe.event))
        changes.merge(changed)
    await batch.write(events[-1].position, changes, alerts, datetime.now(UTC))


async def test_subscriptions_are_seen_by_their_organisation_only(stores: Stores) -> None:
    mine = await stores.subscriptions.add(subscription_row(NHSI))
    await stores.subscriptions.add(subscription_row("nhs-england", channel="email"))
    assert await stores.subscriptions.get(mine["id"], "nhs-england") is None
    assert (await stores.subscriptions.get(mine["id"], NHSI)) == _stored(mine)
    assert [r["id"] for r in await stores.subscriptions.all(NHSI)] == [mine["id"]]
    assert len(await stores.subscriptions.all(None)) == 2
    assert await stores.subscriptions.email_addresses("nhs-england") == ["nhs-england@x.test"]
    now = datetime.now(UTC)
    disabled = await stores.subscriptions.set_status(mine["id"], "disabled", "by ops", now)
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "by ops")
    await stores.subscriptions.delete(mine["id"])
    assert await stores.subscriptions.get(mine["id"], None) is None


def _stored(added: dict[str, object]) -> dict[str, object]:
    """A row as ``get`` shows it: ``add`` also says from which position it is alerted."""
    return {k: v for k, v in added.items() if k != "starts_after"}


def _of(sub: Row) -> DeliveryQuery:
    """Every delivery of the subscription ``sub``."""
    return DeliveryQuery(limit=1000, subscription_id=sub["id"])


async def test_the_store_says_how_far_the_notifier_read_and_what_it_knows(
    stores: Stores,
) -> None:
    assert await stores.subscriptions.position() == 0
    before = await stores.subscriptions.add(subscription_row(NHSI))
    assert before["starts_after"] == 0
    await _ingest_all(stores)
    assert await stores.subscriptions.position() == len(EVENTS)
    after = await stores.subscriptions.add(subscription_row(NHSI))
    assert after["starts_after"] == len(EVENTS)
    log = await stores.subscriptions.knowledge_of(f"organisation-{NHSI}")
    assert [e.type for e in log][:1] == ["OrganisationRegistered"]
    assert await stores.subscriptions.knowledge_of("organisation-nobody") == ()


async def test_progress_and_filters_follow_the_deliveries(stores: Stores) -> None:
    sub = await stores.subscriptions.add(subscription_row(NHSI))
    await _ingest_all(stores)
    owed = await stores.subscriptions.deliveries(NHSI, _of(sub))
    positions = [d["position"] for d in owed]
    [progress] = (await stores.subscriptions.progress([sub["id"], uuid.uuid4()])).values()
    assert progress == {
        "first_undelivered": positions[0],
        "pending": len(owed),
        "dead": 0,
        "delivered": 0,
    }
    began = datetime.now(UTC) + timedelta(seconds=1)
    [first], _ = await stores.jobs.claim_some(began, LEASE, 1, 1)
    await stores.jobs.finish(first, _result("delivered", "ok", began), LEASE)
    [progress] = (await stores.subscriptions.progress([sub["id"]])).values()
    assert (progress["first_undelivered"], progress["delivered"]) == (positions[1], 1)

    def only(**wanted: object) -> Any:
        query = DeliveryQuery(limit=1000, **wanted)  # type: ignore[arg-type]
        return stores.subscriptions.deliveries(NHSI, query)

    [at] = await only(event_position=positions[2])
    assert at["id"] == owed[2]["id"]
    assert [d["id"] for d in await only(event_id=owed[3]["event_id"])] == [owed[3]["id"]]
    correlation = owed[4]["correlation_id"]
    expected = [d["id"] for d in owed if d["correlation_id"] == correlation]
    assert correlation and [d["id"] for d in await only(correlation_id=correlation)] == expected
    assert await only(correlation_id="no-such-request") == []


async def test_what_a_batch_writes_the_next_one_knows(stores: Stores) -> None:
    await stores.subscriptions.add(subscription_row(NHSI))
    await _ingest_all(stores)
    everything = Knowledge()
    for pe in EVENTS:
        everything.merge(evolve(everything, pe.event))
    async with stores.ingest.batch() as batch:
        known = Knowledge()
        assert await batch.checkpoint_and_knowledge(known, EVENTS) == len(EVENTS)
        for pe in EVENTS:  # enough to resolve each event as with all the knowledge
            assert resolve(pe.event, known) == resolve(pe.event, everything)


async def test_what_another_consumer_wrote_the_next_batch_knows(stores: Stores) -> None:
    """The partition moves to another process and back: the first store must not resolve
    with what it knew before the other wrote (what it keeps in memory is stale)."""
    third = len(EVENTS) // 3
    await _ingest(stores.ingest, EVENTS[:third])
    await _ingest(stores.another_consumer(), EVENTS[third : 2 * third])
    stored = fold(pe.event for pe in EVENTS[: 2 * third])
    async with stores.ingest.batch() as batch:
        known = Knowledge()
        assert await batch.checkpoint_and_knowledge(known, EVENTS) == 2 * third
        assert known.logs and all(log == stored.log(s) for s, log in known.logs.items())


async def test_a_batch_that_waited_for_the_checkpoint_reads_what_the_holder_wrote(
    stores: Stores,
) -> None:
    """Two consumers at once (a rebalance): a batch that waited for the checkpoint lock while
    another consumer's batch held it must resolve and write with what that batch committed, not
    with what the table held when it began waiting (the snapshot of the statement that waited
    for the lock)."""
    first, second = stores.ingest, stores.another_consumer()
    if not isinstance(first, PostgresIngestStore):
        pytest.skip("waiting for a row lock is PostgreSQL's")
    engine, schema = first.engine, first.schema
    third = len(EVENTS) // 3
    await _ingest(first, EVENTS[:third])

    async def waiting_for_the_checkpoint() -> int:
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE :like"
        )
        async with engine.connect() as conn:
            found = await conn.execute(text(sql), {"like": f"%{schema}.checkpoint%FOR UPDATE%"})
            return int(found.scalar_one())

    waiting: asyncio.Task[None] | None = None

    async def locked() -> None:
        nonlocal waiting
        waiting = asyncio.create_task(_ingest(second, EVENTS[2 * third :]))
        await eventually(waiting_for_the_checkpoint)

    async with first.batch() as holding:
        await _apply(holding, EVENTS[third : 2 * third], locked)
    assert waiting is not None
    await waiting
    stored = fold(pe.event for pe in EVENTS)
    async with stores.another_consumer().batch() as batch:
        known = Knowledge()
        assert await batch.checkpoint_and_knowledge(known, EVENTS) == len(EVENTS)
        await batch.knowledge(known, EVENTS)
        assert known.logs.keys() == stored.logs.keys()
        assert all(log == stored.log(s) for s, log in known.logs.items())


async def test_alerts_become_pending_jobs_once(stores: Stores) -> None:
    sub = await stores.subscriptions.add(subscription_row(NHSI))
    await _ingest_all(stores)
    await _ingest_all(stores)  # a replay: no second job for an event and subscription
    rules = [as_rule(sub)]
    owed = {pe.position for pe in EVENTS if plan(pe.event.type, _affected(pe), rules)}
    deliveries = await stores.subscriptions.deliveries(NHSI, _of(sub))
    assert [d["position"] for d in deliveries] == sorted(owed)
    assert {d["status"] for d in deliveries} == {"pending"}


def _affected(pe: PositionedEvent) -> Affected:
    known = Knowledge()
    for event in EVENTS:
        if event is pe:
            return resolve(event.event, known)
        known.merge(evolve(known, event.event))
    raise AssertionError


async def test_an_isolated_failure_undoes_only_its_own_writes(stores: Stores) -> None:
    async with stores.ingest.batch() as batch:
        await batch.write(3, Knowledge(), [], datetime.now(UTC))
        with pytest.raises(RuntimeError):
            async with batch.isolated():
                await batch.write(9, Knowledge(), [], datetime.now(UTC))
                raise RuntimeError("this event fails")
    async with stores.ingest.batch() as batch:
        assert await batch.checkpoint_and_knowledge(Knowledge(), []) == 3


async def test_a_dead_letter_is_kept_and_published_once(stores: Stores) -> None:
    letter = DeadLetter("undecodable", "contract", SourceRecord("t", 0, 4, b"k", b"v"), "junk")
    async with stores.ingest.batch() as batch:
        assert await batch.keep_dead_letters([letter]) == (letter,)
    async with stores.ingest.batch() as batch:
        assert await batch.keep_dead_letters([letter]) == ()
    assert stores.published == [letter]


def _result(job_status: str, effect: str, at: datetime) -> Result:
    code = {"ok": 200, "gone": 410}.get(effect, 500)
    return Result(at, 1.0, code, "x", None, None, job_status, effect)


async def test_claims_respect_limits_leases_and_disabled_subscriptions(stores: Stores) -> None:
    sub = await stores.subscriptions.add(subscription_row(NHSI))
    await _ingest_all(stores)
    due = len(await stores.subscriptions.deliveries(None, _of(sub)))
    now = datetime.now(UTC) + timedelta(seconds=1)
    claimed, left = await stores.jobs.claim_some(now, LEASE, per_subscription=2, limit=5)
    assert (len(claimed), left) == (2, due - 2)  # the per-subscription limit
    assert [c.position for c in claimed] == sorted(c.position for c in claimed)
    assert claimed[0].attempt == 1 and claimed[0].secrets == (subscription_row(NHSI)["secret"],)
    assert (await stores.jobs.claim_some(now, LEASE, 2, 5))[0] == []  # both slots are busy
    later = now + LEASE
    reclaimed, _ = await stores.jobs.claim_some(later, LEASE, 2, 5)  # the leases ran out
    assert {c.id for c in reclaimed} == {c.id for c in claimed}
    await stores.subscriptions.set_status(sub["id"], "disabled", None, later)
    assert await stores.jobs.claim_some(later + LEASE, LEASE, 2, 5) == ([], 0)


async def test_finishing_settles_only_a_current_claim(stores: Stores) -> None:
    sub = await stores.subscriptions.add(subscription_row(NHSI))
    await _ingest_all(stores)
    began = datetime.now(UTC) + timedelta(seconds=1)
    [stale], _ = await stores.jobs.claim_some(began, timedelta(0), 1, 1)
    [owner], _ = await stores.jobs.claim_some(began + timedelta(milliseconds=1), LEASE, 1, 1)
    assert owner.id == stale.id
    assert await stores.jobs.finish(owner, _result("delivered", "ok", began), LEASE) is None
    assert await stores.jobs.finish(stale, _result("dead", "failing", began), LEASE) is None
    [job] = [
        d for d in await stores.subscriptions.deliveries(None, _of(sub)) if d["id"] == owner.id
    ]
    assert job["status"] == "delivered" and len(job["attempts"]) == 2
    [gone], _ = await stores.jobs.claim_some(began, LEASE, 1, 1)
    reason = await stores.jobs.finish(gone, _result("pending", "gone", began), LEASE)
    assert reason == "the endpoint answered 410 Gone"
    assert (await stores.subscriptions.get(sub["id"], None) or {})["status"] == "disabled"
