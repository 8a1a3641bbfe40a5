"""A poison event (decodes, but ingesting it fails) is dead-lettered alone; alerts go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import text

from schemas.envelope import DomainEvent
from schemas.wire import DLQ_HEADER_REASON, DLQ_HEADER_SOURCE_OFFSET
from services.common.consumer import Consumer, Handled
from services.common.dead_letters import (
    DeadLetterSink,
    DeadLetterStore,
    KafkaDeadLetterPublisher,
)
from services.notifier.adapters.db import create_engine
from services.notifier.adapters.ingest_store import PostgresIngestStore
from services.notifier.domain.filters import Filter, Rule, plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.resolution import Affected, resolve
from services.notifier.service_layer.ingest import Ingest, Resolver
from tests.integration.notifier.conftest import Harness
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
ORGS = ("nhs-improvement", "nhs-leadership-academy")
POISON = 47  # RecommendationAdapted: affects both; events 48, 52, 54, 59 affect NHSI after it


def _raises(event: DomainEvent, known: Knowledge) -> Affected:
    raise RuntimeError("resolution blew up")


def _database_error(event: DomainEvent, known: Knowledge) -> Affected:
    """An organisation id PostgreSQL cannot store: the statement fails inside the savepoint."""
    found = resolve(event, known)
    return Affected({**found.reasons, "nul\x00org": frozenset()}, found.oversight)


def poisoned(event_id: object, fail: Resolver) -> Resolver:
    def resolver(event: DomainEvent, known: Knowledge) -> Affected:
        return fail(event, known) if event.event_id == event_id else resolve(event, known)

    return resolver


def expected_without(poison: int, subscriptions: dict[str, str]) -> set[str]:
    rules = [Rule(sid, org, Filter()) for org, sid in subscriptions.items()]
    known, out = Knowledge(), set()
    for pe in smith_events():
        if pe.position == poison:
            continue  # dead-lettered: neither jobs nor knowledge
        for rule in plan(pe.event.type, resolve(pe.event, known), rules):
            out.add(webhook_id(pe.event.event_id, rule.subscription_id))
        known.merge(evolve(known, pe.event))
    return out


async def _consume_all(h: Harness, resolver: Resolver) -> None:
    """The real consumer (Kafka, PostgreSQL, DLQ topic) with the resolver passed in."""
    s = h.settings
    engine = create_engine(s)
    publisher = KafkaDeadLetterPublisher(s, s.dlq_topic)
    dead_letters = DeadLetterStore(engine, s.db_schema, s.consumer_group)
    ingest = Ingest(
        PostgresIngestStore(engine, s.db_schema, DeadLetterSink(dead_letters, publisher)),
        s.consumer_group,
        resolver=resolver,
    )
    positions: list[int] = []

    async def handle(topic: str, partition: int, records: Sequence[Any]) -> Handled:
        handled = await ingest(topic, partition, records)
        positions.append(handled.position)
        return handled

    await publisher.start()
    task = asyncio.create_task(Consumer(s, handle).run())
    try:
        last = len(smith_events())
        await eventually(lambda: positions and positions[-1] == last, within=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await publisher.stop()
        await engine.dispose()


@pytest.mark.parametrize("fail", [_raises, _database_error], ids=["raises", "database_error"])
async def test_a_poison_event_mid_batch_is_dead_lettered_and_later_events_make_jobs(
    notifier: Callable[..., Any], fail: Resolver
) -> None:
    events = list(smith_events())
    poison = next(pe for pe in events if pe.position == POISON)
    async with notifier(run_consumer=False, run_workers=False) as h:
        subs = {}
        for org in ORGS:
            subs[org] = (await h.subscribe(org, channel="email", email=f"{org}@x.test"))["id"]
        await h.publish(events)  # one batch: the poison sits in its middle
        await _consume_all(h, poisoned(poison.event.event_id, fail))
        rows, checkpoint = await _jobs_and_checkpoint(h)
        admin = h.token(None, "admin")
        listed = (await h.api.get("/v1/dead-letters", headers=admin)).json()
        ready = await h.api.get("/readyz")
        dlq = await h.dlq_records()

    assert checkpoint == len(events)
    assert {w for w, _ in rows} == expected_without(POISON, subs)
    assert {p for _, p in rows} >= {48, 52, 54, 59} and POISON not in {p for _, p in rows}
    [letter] = listed["items"]
    assert letter["kind"] == "apply_error" and letter["position"] == POISON
    assert letter["source_offset"] == POISON - 1 and letter["acknowledged_at"] is None
    assert listed["degraded"] and listed["unacknowledged"] == 1
    assert ready.status_code == 503 and ready.json()["degraded"]
    [record] = dlq
    headers = dict(record.headers)
    assert headers[DLQ_HEADER_SOURCE_OFFSET] == str(POISON - 1).encode()
    assert headers[DLQ_HEADER_REASON].decode() == letter["reason"]
    assert record.value == _value_at(events, POISON)


async def _jobs_and_checkpoint(h: Harness) -> tuple[list[Any], int]:
    engine, schema = create_engine(h.settings), h.settings.db_schema
    try:
        async with engine.connect() as conn:
            jobs = await conn.execute(text(f"SELECT webhook_id, position FROM {schema}.jobs"))
            cp = await conn.execute(text(f"SELECT position FROM {schema}.checkpoint"))
            return [tuple(r) for r in jobs], int(cp.scalar_one())
    finally:
        await engine.dispose()


def _value_at(events: list[Any], position: int) -> bytes:
    from schemas.wire import encode

    pe = next(e for e in events if e.position == position)
    return encode(pe.event, pe.position).value
