"""Ordering under concurrency, end to end: many writers with random commit delays, rollbacks and
conflicts, two relays competing for the lock, and a projections consumer, all at once. The topic
then holds every committed event (and no rolled-back one) in position order, and the read model
applied each exactly once and equals a rebuild from scratch.

(tests/integration/registry/test_sequencer.py covers the catch-up feed alone.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from schemas.envelope import DomainEvent, OrganisationKind
from schemas.organisations import OrganisationRegistered
from services.projections import bootstrap as projections
from services.projections.config import ProjectionsSettings
from services.registry.adapters.db import Tables, create_engine
from services.registry.adapters.event_store import EventFeed
from services.registry.adapters.relay import run_relay
from services.registry.config import RegistrySettings
from services.registry.migrations import migrate
from tests.faults import checks
from tests.integration.registry.factory import SOURCE, registry_settings, renamed
from tests.support.writers import Ledger, Writers

pytestmark = pytest.mark.integration
CONCURRENT, TRANSACTIONS, STREAMS = 12, 30, 40


def _event(stream: int, version: int) -> DomainEvent:
    stream_id = f"organisation-conc-{stream}"
    if version > 1:
        return renamed(stream_id, version, f"Name {version}")
    return OrganisationRegistered(
        event_id=uuid.uuid4(),
        stream_id=stream_id,
        stream_version=1,
        recorded_at=datetime.now(UTC),
        source=SOURCE,
        actor="test",
        correlation_id="conc",
        organisation_id=f"conc-{stream}",
        name="Name 1",
        kind=OrganisationKind.TEAM,
        stage="in_effect",
    )


WRITERS = Writers(
    TRANSACTIONS,
    STREAMS,
    lambda n: f"organisation-conc-{n}",
    _event,
    (0, 0, 0.001, 0.005, 0.02, 0.05),
)


@dataclass
class Pipeline:
    registry: RegistrySettings
    projections: ProjectionsSettings
    engine: AsyncEngine


@pytest.fixture
async def pipeline(
    database_url: str, kafka_bootstrap: str, make_topic: Any
) -> AsyncIterator[Pipeline]:
    run = uuid.uuid4().hex[:8]
    topic, dlq = await make_topic("conc"), await make_topic("conc-dlq")
    await migrate(database_url, f"reg_conc_{run}")
    registry = registry_settings(
        database_url,
        f"reg_conc_{run}",
        kafka_bootstrap=kafka_bootstrap,
        events_topic=topic,
        relay_batch_size=50,
    )
    projections = ProjectionsSettings(
        database_url=database_url,
        db_schema=f"proj_conc_{run}",
        kafka_bootstrap=kafka_bootstrap,
        events_topic=topic,
        dlq_topic=dlq,
        consumer_group=f"conc-{run}",
        batch_max_records=37,
    )
    engine = create_engine(registry)
    try:
        yield Pipeline(registry, projections, engine)
    finally:
        await engine.dispose()


async def test_writers_relays_and_projections_skip_nothing_and_apply_once(
    pipeline: Pipeline,
) -> None:
    tables, ledger = Tables(pipeline.registry.db_schema), Ledger()
    stop = asyncio.Event()
    began = time.monotonic()
    relays = [asyncio.create_task(run_relay(pipeline.registry, stop)) for _ in range(2)]
    consumer = asyncio.create_task(projections.consume(pipeline.projections))
    try:
        await asyncio.gather(
            *(WRITERS.write(seed, pipeline.engine, tables, ledger) for seed in range(CONCURRENT))
        )
        feed = EventFeed(pipeline.engine, tables)
        head = await _head_after_sequencing(pipeline.engine, tables, feed, len(ledger.committed))
        stored = await feed.read_all(0, head + 1)
        reader = create_async_engine(pipeline.projections.database_dsn)
        try:
            await checks.eventually(lambda: _projected(reader, pipeline, head), 60)
            duplicates = await checks.read_model_duplicates(reader, pipeline.projections.db_schema)
            letters = await _dead_letters(reader, pipeline.projections.db_schema)
        finally:
            await reader.dispose()
    finally:
        stop.set()
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await asyncio.gather(*relays)

    feed_view = [(p, e.model_dump(mode="json")) for p, e in stored]
    assert [p for p, _ in feed_view] == list(range(1, head + 1))
    assert {e.event_id for _, e in stored} == set(ledger.committed)
    topic = await checks.read_topic(pipeline.registry, head, topic=pipeline.registry.events_topic)
    topic_duplicates = checks.check_topic(topic, feed_view)
    assert not {UUID(r.event_id) for r in topic} & ledger.rolled_back
    assert duplicates == 0 and letters == 0
    live = await projections.checksum(pipeline.projections)
    reference = pipeline.projections.model_copy(
        update={"db_schema": pipeline.projections.db_schema + "_ref"}
    )
    await projections.rebuild(reference)
    assert live == await projections.checksum(reference)
    print(
        f"\n{head} events from {CONCURRENT}x{TRANSACTIONS} transactions ({len(ledger.rolled_back)} "
        f"rolled back, {ledger.conflicts} conflicts), {topic_duplicates} relay duplicates, "
        f"{time.monotonic() - began:.1f}s"
    )


async def _head_after_sequencing(
    engine: AsyncEngine, tables: Tables, feed: EventFeed, committed: int
) -> int:
    async def all_sequenced() -> bool:
        return await feed.head_position() >= committed

    await checks.eventually(all_sequenced, 30)
    return await feed.head_position()


async def _projected(engine: AsyncEngine, pipeline: Pipeline, head: int) -> bool:
    control = pipeline.projections.db_schema
    async with engine.connect() as conn:
        schema = (await conn.execute(text(f"SELECT data_schema FROM {control}.active"))).scalar()
        count = (await conn.execute(text(f"SELECT count(*) FROM {schema}.events"))).scalar()
    return int(count or 0) >= head


async def _dead_letters(engine: AsyncEngine, control: str) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(text(f"SELECT count(*) FROM {control}.dead_letters"))).scalar_one()
        )
