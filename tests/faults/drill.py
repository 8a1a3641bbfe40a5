"""One fault drill: load on, fault in, repair, load off, then every check. And the report table.

Recovery time is measured from the moment the fault is injected until both consumers (the read
model and the notifier) have reached the registry's head as it stood right after the repair, so
it includes the outage itself, the restart (a Kafka broker takes ~30 s to come back after a
SIGKILL here), reconnection and the backlog. "fault + repair" is the part spent killing and
restarting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults import checks
from tests.faults.load import Load, Tally
from tests.faults.stack import Stack
from tests.integration.notifier.support import Receiver

HOOK = "/hook"


@dataclass
class Drill:
    """Everything a fault needs: the stack, the load, the alert receiver, a DB engine."""

    stack: Stack
    load: Load
    receiver: Receiver
    engine: AsyncEngine
    subscription_id: str
    accepted: set[str]


@dataclass(frozen=True)
class Outcome:
    fault: str
    sent: int
    accepted: int
    refused: dict[str, int]
    lost: int
    read_model_duplicates: int
    topic_duplicates: int
    alerts: checks.Alerts
    recovery_s: float
    repaired_s: float
    events: int


Fault = Callable[[Stack], Awaitable[None]]


def faults(down_s: float = 2.0) -> dict[str, Fault]:
    """Name -> coroutine that injects the fault and repairs it."""

    async def broker(stack: Stack) -> None:
        stack.infra.kill_kafka()
        await asyncio.sleep(down_s)
        await stack.infra.start_kafka()

    def process(attr: str) -> Fault:
        async def kill_restart(stack: Stack) -> None:
            service = getattr(stack, attr)
            await service.kill()
            await asyncio.sleep(down_s)
            await service.start("/healthz")

        return kill_restart

    async def database(stack: Stack) -> None:
        await stack.infra.restart_postgres(down_s)

    return {
        "kafka broker SIGKILL + restart": broker,
        "outbox relay SIGKILL + restart": process("relay"),
        "projections SIGKILL + restart": process("projections"),
        "notifier SIGKILL + restart": process("notifier"),
        "PostgreSQL restart (immediate)": database,
    }


async def _head(registry: str) -> int:
    async with httpx.AsyncClient(timeout=3) as http:
        return int((await http.get(f"{registry}/v1/events", params={"limit": 1})).json()["head"])


async def _caught_up(drill: Drill, head: int) -> bool:
    projected = await checks.projections_position(drill.stack.projections.url)
    notified = await checks.notifier_position(drill.engine)
    return projected >= head and notified >= head


async def run_fault(drill: Drill, name: str, fault: Fault, load_s: float) -> Outcome:
    drill.load.tally = Tally()
    stop = asyncio.Event()
    loading = asyncio.create_task(drill.load.run(stop))
    started = time.monotonic()
    await asyncio.sleep(load_s * 0.3)
    injected = time.monotonic()
    await fault(drill.stack)
    repaired = time.monotonic()
    head: list[int] = []

    async def head_known() -> bool:
        head.append(await _head(drill.stack.registry.url))
        return True

    await checks.eventually(head_known, 60)
    recovered = await checks.eventually(lambda: _caught_up(drill, head[-1]), 120)
    await asyncio.sleep(max(0.0, load_s - (time.monotonic() - started)))
    stop.set()
    tally = await loading
    drill.accepted |= tally.event_ids
    return await verify(drill, name, tally, (recovered - injected, repaired - injected))


async def verify(
    drill: Drill, name: str, tally: Tally, timing: tuple[float, float] = (0.0, 0.0)
) -> Outcome:
    stack = drill.stack
    feed = await checks.read_feed(stack.registry.url)
    lost = checks.lost(drill.accepted, feed)
    assert not lost, f"{name}: {len(lost)} accepted events are not in the store"
    head = len(feed)
    await checks.eventually(lambda: _caught_up(drill, head), 120)
    topic = await checks.read_topic(stack.infra.kafka, head)
    topic_duplicates = checks.check_topic(topic, feed)
    duplicates = await checks.read_model_duplicates(drill.engine)
    assert duplicates == 0, f"{name}: {duplicates} duplicated events in the read model"
    ref_env = stack.env_of(stack.projections, REMIT_DB_SCHEMA="projections_ref")
    await checks.projections_cli(ref_env, "rebuild")
    live = await checks.projections_cli(stack.env_of(stack.projections), "checksum")
    rebuilt = await checks.projections_cli(ref_env, "checksum")
    assert live == rebuilt, f"{name}: the live read model differs from a rebuild from scratch"
    expected = checks.expected_alerts(feed, drill.subscription_id, drill.load.watched)
    alerts = await checks.check_alerts(drill.receiver, HOOK, expected)
    refused = {k: v for k, v in tally.statuses.items() if not k.startswith("2")}
    return Outcome(
        name,
        tally.sent,
        tally.accepted,
        refused,
        len(lost),
        duplicates,
        topic_duplicates,
        alerts,
        *timing,
        head,
    )


def table(outcomes: list[Outcome]) -> str:
    head = (
        "| fault | commands sent | accepted (2xx) | not accepted | lost | read-model duplicates "
        "| topic duplicates (same id) | alerts expected / delivered / unique "
        "| fault + repair (s) | recovery (s) |\n"
        "|---|---:|---:|---|---:|---:|---:|---|---:|---:|\n"
    )
    rows = []
    for o in outcomes:
        refused = ", ".join(f"{k}: {v}" for k, v in sorted(o.refused.items())) or "none"
        a = o.alerts
        rows.append(
            f"| {o.fault} | {o.sent} | {o.accepted} | {refused} | {o.lost} "
            f"| {o.read_model_duplicates} | {o.topic_duplicates} "
            f"| {a.expected} / {a.received} / {a.unique} | {o.repaired_s:.1f} "
            f"| {o.recovery_s:.1f} |"
        )
    return head + "\n".join(rows) + "\n"


def write_report(path: Path, marker: str, body: str) -> None:
    """Replace the text between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = path.read_text() if path.exists() else f"{start}\n{end}\n"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{body}{end}{after}")
