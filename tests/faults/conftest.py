"""The fault suite's own PostgreSQL + Kafka and the four processes on them, per module."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from infra.settings import REPO_ROOT
from services.common.auth import AuthSettings, issue_token
from tests.faults.drill import HOOK, Drill
from tests.faults.load import Load
from tests.faults.stack import PrivateInfra, Stack
from tests.integration.notifier.support import Receiver

WATCHED = "watched-body"
NOTIFIER_ENV = {
    "REMIT_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
    "REMIT_HTTP_TIMEOUT_S": "5",
    "REMIT_SMTP_TIMEOUT_S": "1",
    "REMIT_RETRY_SCHEDULE_S": "[1, 1, 2, 2, 5, 5, 10, 10, 30]",
    "REMIT_RETRY_JITTER": "0",
    "REMIT_WORKER_POLL_S": "0.2",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills and restarts servers and processes of a private PG + Kafka pair"
    )
    config.addinivalue_line("markers", "soak: the long fault drill, only with REMIT_SOAK=1")


def soak() -> bool:
    return os.environ.get("REMIT_SOAK") == "1"


@pytest.fixture(scope="module")
async def drill() -> AsyncIterator[Drill]:
    infra = PrivateInfra.create("remit-faults-")
    await infra.start()
    stack = Stack(infra, NOTIFIER_ENV)
    receiver = await Receiver().start()
    engine = create_async_engine(infra.database_url, pool_pre_ping=True)
    try:
        await stack.start()
        token = issue_token(AuthSettings(), "faults", ["subscriptions:write"], WATCHED)
        async with httpx.AsyncClient(base_url=stack.notifier.url, timeout=10) as http:
            created = await http.post(
                "/v1/subscriptions",
                json={"channel": "webhook", "url": receiver.url(HOOK), "await_registration": True},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert created.status_code == 201, created.text
        load = Load(stack.registry.url, WATCHED)
        async with httpx.AsyncClient(base_url=stack.registry.url, timeout=10) as http:
            await load.setup(http)
        accepted = set(load.tally.event_ids)
        yield Drill(stack, load, receiver, engine, created.json()["id"], accepted)
    finally:
        await stack.stop()
        logs = REPO_ROOT / ".run" / "faults" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in stack.services:
            (logs / f"{service.name}.log").write_text("\n".join(service.logs) + "\n")
        await receiver.stop()
        await engine.dispose()
        await infra.stop()
