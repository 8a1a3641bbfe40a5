"""What must hold after a fault: store, topic, read models, alerts. Each check returns numbers
for the report and raises AssertionError (with the evidence) when a promise is broken."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import sqlalchemy.exc
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.settings import REPO_ROOT
from schemas.upcasting import decode
from schemas.wire import EVENTS_TOPIC, decode_record
from services.common.kafka import KafkaSettings, client_options
from services.notifier.domain.filters import Filter, Rule, plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.resolution import resolve
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually as waiting

Feed = list[tuple[int, dict[str, Any]]]


async def read_feed(registry: str) -> Feed:
    """Every stored event in global order, through the catch-up feed (GET /v1/events)."""
    out: Feed = []
    async with httpx.AsyncClient(base_url=registry, timeout=10) as http:
        while True:
            page = (await http.get("/v1/events", params={"after": len(out), "limit": 1000})).json()
            out.extend((e["position"], e["event"]) for e in page["events"])
            if not page["events"]:
                break
    assert [p for p, _ in out] == list(range(1, len(out) + 1)), "the feed has a gap"
    return out


def lost(accepted: Iterable[str], feed: Feed) -> set[str]:
    """Event ids the registry answered 2xx for that are not in the store."""
    return set(accepted) - {e["event_id"] for _, e in feed}


@dataclass(frozen=True)
class OnTopic:
    offset: int
    position: int
    event_id: str
    stream_id: str
    stream_version: int


async def read_topic(
    kafka: KafkaSettings, until_position: int, within_s: float = 60, topic: str = EVENTS_TOPIC
) -> list[OnTopic]:
    """The topic from offset 0 until a record at ``until_position`` (and the end) was read."""
    consumer = AIOKafkaConsumer(**client_options(kafka), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records: list[OnTopic] = []
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            end = (await consumer.end_offsets([tp]))[tp]
            if records and records[-1].offset + 1 >= end and _top(records) >= until_position:
                return records
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for r in batch:
                    pe = decode_record(r.key, r.value, r.headers)
                    ev = pe.event
                    records.append(
                        OnTopic(
                            r.offset, pe.position, str(ev.event_id), ev.stream_id, ev.stream_version
                        )
                    )
        raise AssertionError(f"topic never reached position {until_position}")
    finally:
        await consumer.stop()


def _top(records: list[OnTopic]) -> int:
    return max((r.position for r in records), default=0)


def check_topic(records: list[OnTopic], feed: Feed) -> int:
    """Each stored event on the topic; duplicates only as the same id at the same position;
    first occurrences in position order, so per stream in version order. Returns duplicates."""
    by_position: dict[int, OnTopic] = {}
    first: list[OnTopic] = []
    for r in records:
        seen = by_position.get(r.position)
        if seen is None:
            by_position[r.position] = r
            first.append(r)
        else:
            assert seen.event_id == r.event_id, f"position {r.position} names two events"
    stored = {p: e["event_id"] for p, e in feed}
    missing = sorted(p for p in stored if p not in by_position)
    assert not missing, f"stored but not on the topic: positions {missing[:20]}"
    wrong = [p for p, eid in stored.items() if by_position[p].event_id != eid]
    assert not wrong, f"topic and store disagree at positions {wrong[:20]}"
    order = [r.position for r in first]
    assert order == sorted(order), "first occurrences are not in position order"
    versions: dict[str, int] = {}
    for r in first:
        assert r.stream_version > versions.get(r.stream_id, 0), f"{r.stream_id} out of order"
        versions[r.stream_id] = r.stream_version
    return len(records) - len(first)


async def read_model_duplicates(engine: AsyncEngine, control: str = "projections") -> int:
    """Rows of the live read model's event log beyond one per event id."""
    async with engine.connect() as conn:
        schema = (await conn.execute(text(f"SELECT data_schema FROM {control}.active"))).scalar()
        sql = f"SELECT count(*) - count(DISTINCT event_id) FROM {schema}.events"
        return int((await conn.execute(text(sql))).scalar_one())


async def projections_cli(env: dict[str, str], command: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.projections",
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 180)
    lines = out.decode(errors="replace").strip().splitlines()
    assert proc.returncode == 0, f"projections {command} failed:\n" + "\n".join(lines[-30:])
    return lines[-1].strip()


async def projections_position(url: str) -> int:
    async with httpx.AsyncClient(timeout=3) as http:
        return int((await http.get(f"{url}/readyz")).json()["position"])


async def notifier_position(engine: AsyncEngine, schema: str = "notifier") -> int:
    async with engine.connect() as conn:
        sql = text(f"SELECT position FROM {schema}.checkpoint")
        return int((await conn.execute(sql)).scalar_one())


def expected_alerts(feed: Feed, subscription_id: str, organisation_id: str) -> set[str]:
    """webhook-ids the notifier owes the subscription, by its own pure rules over the store."""
    rules = [Rule(subscription_id, organisation_id, Filter())]
    known, out = Knowledge(), set()
    for _, payload in feed:
        event = decode(payload)
        for rule in plan(event.type, resolve(event, known), rules):
            out.add(webhook_id(event.event_id, rule.subscription_id))
        known.merge(evolve(known, event))
    return out


@dataclass(frozen=True)
class Alerts:
    expected: int
    received: int
    unique: int


async def check_alerts(
    receiver: Receiver, path: str, expected: set[str], within_s: float = 90
) -> Alerts:
    """Every expected alert arrived at least once; after de-duplication exactly once."""
    deadline = time.monotonic() + within_s

    def ids() -> list[str]:
        return [r.headers["webhook-id"] for r in receiver.at(path)]

    async def arrived() -> bool:
        return expected <= set(ids()) or time.monotonic() > deadline

    await eventually(arrived, within_s + 5)
    got = ids()
    missing = expected - set(got)
    assert not missing, f"{len(missing)} expected alerts never arrived"
    extra = set(got) - expected
    assert not extra, f"{len(extra)} alerts nobody expected"
    return Alerts(len(expected), len(got), len(set(got)))


async def eventually(check: Any, within_s: float, step: float = 0.2) -> float:
    """Await the async predicate until true, through restarts of what it asks; return when
    (monotonic) it became true."""
    await waiting(check, within=within_s, step=step, tolerate=RESTARTING)
    return time.monotonic()


RESTARTING = (
    httpx.HTTPError,
    OSError,
    KeyError,
    ValueError,
    sqlalchemy.exc.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
"""What a check may meet while the service or database it asks is restarting."""
