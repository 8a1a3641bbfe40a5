"""From consumed records to delivery jobs, over the in-memory database (no I/O): who is
alerted, replays change nothing, a poison event is dead-lettered alone."""

from __future__ import annotations

import pytest

from schemas.envelope import DomainEvent
from services.notifier.domain.filters import plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.resolution import Affected, resolve
from services.notifier.service_layer.ingest import Ingest
from tests.support.records import TOPIC, garbage, records
from tests.support.smith import smith_events
from tests.unit.notifier.fakes import (
    FakeDatabase,
    FakeIngestStore,
    FakeSubscriptionStore,
    as_rule,
    subscription_row,
)

ORGS = ("nhs-improvement", "nhs-leadership-academy", "health-education-england")
POISON = 47


@pytest.fixture
async def db() -> FakeDatabase:
    db = FakeDatabase()
    for org in ORGS:
        await FakeSubscriptionStore(db).add(subscription_row(org))
    return db


def expected(db: FakeDatabase, skip: int | None = None) -> set[str]:
    """The alerts owed, by the notifier's pure rules over every event."""
    rules = [as_rule(s) for s in db.subscriptions.values()]
    known, out = Knowledge(), set()
    for pe in smith_events():
        if pe.position == skip:
            continue
        for rule in plan(pe.event.type, resolve(pe.event, known), rules):
            out.add(webhook_id(pe.event.event_id, rule.subscription_id))
        known.merge(evolve(known, pe.event))
    return out


def alerts(db: FakeDatabase) -> set[str]:
    return {job["webhook_id"] for job in db.jobs.values()}


async def test_batches_make_the_jobs_the_rules_owe(db: FakeDatabase) -> None:
    woken: list[int] = []
    ingest = Ingest(FakeIngestStore(db), "test", on_jobs=lambda: woken.append(1))
    wire = records(smith_events())
    for start in range(0, len(wire), 7):
        handled = await ingest(TOPIC, 0, wire[start : start + 7])
    assert alerts(db) == expected(db) and len(alerts(db)) > 20
    assert db.checkpoint == handled.position == len(wire)
    assert woken and not db.dead_letters


async def test_a_replayed_batch_makes_no_new_job(db: FakeDatabase) -> None:
    ingest = Ingest(FakeIngestStore(db), "test")
    wire = records(smith_events())
    await ingest(TOPIC, 0, wire)
    jobs = dict(db.jobs)
    handled = await ingest(TOPIC, 0, wire[10:40])
    assert db.jobs == jobs and handled.applied == 0


async def test_an_undecodable_record_is_dead_lettered(db: FakeDatabase) -> None:
    events = list(smith_events())
    wire = [*records(events[:3]), garbage(3), *records(events[3:], first_offset=4)]
    handled = await Ingest(FakeIngestStore(db), "test")(TOPIC, 0, wire)
    [letter] = handled.dead
    assert (letter.kind, letter.source.offset, letter.consumer) == ("undecodable", 3, "test")
    assert db.published == [letter] and alerts(db) == expected(db)


async def test_a_poison_event_is_dead_lettered_alone_and_later_alerts_go_out(
    db: FakeDatabase,
) -> None:
    poison = next(pe for pe in smith_events() if pe.position == POISON)

    def resolver(event: DomainEvent, known: Knowledge) -> Affected:
        if event.event_id == poison.event.event_id:
            raise RuntimeError("resolution blew up")
        return resolve(event, known)

    handled = await Ingest(FakeIngestStore(db), "test", resolver=resolver)(
        TOPIC, 0, records(smith_events())
    )
    [letter] = handled.dead
    assert (letter.kind, letter.position) == ("apply_error", POISON)
    assert "resolution blew up" in letter.reason
    assert alerts(db) == expected(db, skip=POISON)
    assert db.checkpoint == handled.position == len(smith_events())


async def test_events_at_or_below_the_checkpoint_are_skipped(db: FakeDatabase) -> None:
    db.checkpoint = 30
    await Ingest(FakeIngestStore(db), "test")(TOPIC, 0, records(smith_events()))
    assert {job["position"] for job in db.jobs.values()} <= set(range(31, 83))
