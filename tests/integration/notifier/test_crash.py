"""SIGKILL the notifier process mid-delivery, restart it: every expected alert arrives."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.auth import issue_token
from services.common.kafka import client_options, connection
from services.notifier.domain.filters import Filter, Rule, plan
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.resolution import resolve
from tests.integration.notifier.conftest import make_settings
from tests.integration.notifier.support import Received, Receiver, free_port
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
ORGS = [
    "nhs-improvement",
    "nhs-leadership-academy",
    "health-education-england",
    "nhs-england",
    "national-governing-boards",
    "department-of-health",
    "academic-health-science-networks",
]


def _expected(subs: dict[str, str]) -> set[str]:
    rules = [Rule(sid, org, Filter(), include_oversight=True) for org, sid in subs.items()]
    known, out = Knowledge(), set()
    for pe in smith_events():
        for rule in plan(pe.event.type, resolve(pe.event, known), rules):
            out.add(webhook_id(pe.event.event_id, rule.subscription_id))
        known.merge(evolve(known, pe.event))
    return out


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.notifier"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:

        async def ready() -> bool:
            return (await client.get(f"{base}/readyz")).status_code == 200

        await eventually(ready, within=30, tolerate=(httpx.HTTPError,))


async def test_sigkill_and_restart_loses_nothing(
    database_url: str, kafka_bootstrap: str, make_topic: Any, receiver: Receiver
) -> None:
    async def slowish(_: Received, __: int) -> tuple[int, dict[str, str]]:
        await asyncio.sleep(0.05)
        return 200, {}

    receiver.behaviours["/hook"] = slowish
    topic, dlq, port = await make_topic("crash"), await make_topic("crash-dlq"), free_port()
    settings = make_settings(
        database_url,
        kafka_bootstrap,
        topic,
        25,
        dlq_topic=dlq,
        port=port,
        workers=4,
        max_in_flight_per_subscription=1,
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in settings.model_dump(
        mode="json", exclude={"jwt_secret", "kafka_password", "webhook_encryption_keys"}
    ).items():
        if value is not None:
            raw = value if isinstance(value, str) else json.dumps(value)
            env[f"REMIT_{name.upper()}"] = raw
    base = f"http://127.0.0.1:{port}"
    proc = _start(env)
    try:
        await _wait_ready(base)
        subs: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=base) as api:
            for org in ORGS:
                token = issue_token(settings, "t", ["subscriptions:write"], org)
                r = await api.post(
                    "/v1/subscriptions",
                    headers={"authorization": f"Bearer {token}"},
                    json={
                        "channel": "webhook",
                        "url": receiver.url("/hook"),
                        "include_oversight": True,
                        "await_registration": True,
                    },
                )
                assert r.status_code == 201, r.text
                subs[org] = r.json()["id"]
        expected = _expected(subs)
        from aiokafka import AIOKafkaProducer

        from schemas.wire import encode
        from tests.integration.notifier.conftest import Harness  # noqa: F401

        producer = AIOKafkaProducer(**client_options(connection(kafka_bootstrap)), acks="all")
        await producer.start()
        try:
            for pe in smith_events():
                rec = encode(pe.event, pe.position)
                await producer.send(topic, key=rec.key, value=rec.value, headers=list(rec.headers))
            await producer.flush()
        finally:
            await producer.stop()
        await eventually(lambda: len(receiver.at("/hook")) >= 10, within=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = len(receiver.at("/hook"))
        assert before < len(expected), "killed too late to test anything"
        proc = _start(env)

        def seen() -> set[str]:
            return {c.headers["webhook-id"] for c in receiver.at("/hook")}

        await eventually(lambda: seen() >= expected, within=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert seen() == expected
    assert len(expected) > 20
    assert uuid.UUID(subs[ORGS[0]])
