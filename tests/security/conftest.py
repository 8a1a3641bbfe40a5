"""The three services as processes on the session's PostgreSQL and Kafka (fresh schemas, topic
and groups, like tests/e2e), with output in files so a blocking (sync) test such as schemathesis
can run while they log, and so tests can search the logs for secrets. Also the notifier's harness
(tests/integration/notifier) and a registry in process on a schema of each module's own
(tests/support/registry.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.kafka import TopicSpec, create_topics
from infra.settings import REPO_ROOT, free_ports
from services.common.auth import AuthSettings
from services.common.kafka import connection
from tests.integration.notifier.conftest import notifier, receiver, smtp  # noqa: F401
from tests.support.registry import client, registry_settings, registry_url  # noqa: F401
from tests.support.tokens import bearer


@dataclass
class Services:
    registry: str
    projections: str
    notifier: str
    topic: str
    logs: dict[str, Path]

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs.values())


def token(*scopes: str, org: str | None = None, ttl: int = 3600) -> dict[str, str]:
    return bearer(AuthSettings(), "security-tests", *scopes, org=org, ttl_seconds=ttl)


ADMIN = ("admin", "registry:write", "registry:read", "subscriptions:write", "subscriptions:read")


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not healthy:\n{log.read_text()[-3000:]}")


@contextmanager
def running(database_url: str, kafka_bootstrap: str, **extra: str) -> Iterator[Services]:
    """The three services as processes, each with ``extra`` in its environment too."""
    run = uuid.uuid4().hex[:8]
    topic, dlq = f"sec.events.{run}", f"sec.events.dlq.{run}"
    specs = [TopicSpec(topic, 1, {"retention.ms": "-1"}), TopicSpec(dlq, 1, {"retention.ms": "-1"})]
    asyncio.run(create_topics(connection(kafka_bootstrap), specs))
    common = {
        "REMIT_DATABASE_URL": database_url,
        "REMIT_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "REMIT_EVENTS_TOPIC": topic,
        "REMIT_DLQ_TOPIC": dlq,
        "REMIT_DEAD_LETTER_TOPIC": dlq,
        "REMIT_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(REPO_ROOT),
        **extra,
    }
    ports = free_ports(3)
    each = {
        "registry": (("services.registry", "serve"), {"REMIT_DB_SCHEMA": f"registry_sec_{run}"}),
        "projections": (
            ("services.projections",),
            {
                "REMIT_DB_SCHEMA": f"projections_sec_{run}",
                "REMIT_CONSUMER_GROUP": f"p-sec-{run}",
                "REMIT_MIN_POSITION_MAX_WAIT_S": "0.2",
                "REMIT_PAGES_PORT": "0",
            },
        ),
        "notifier": (
            ("services.notifier",),
            {
                "REMIT_DB_SCHEMA": f"notifier_sec_{run}",
                "REMIT_CONSUMER_GROUP": f"n-sec-{run}",
                "REMIT_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
                "REMIT_MIN_POSITION_MAX_WAIT_S": "0.2",
            },
        ),
    }
    logdir = Path(tempfile.mkdtemp(prefix="remit-security-logs-"))
    procs: list[subprocess.Popen[bytes]] = []
    urls = {name: f"http://127.0.0.1:{port}" for name, port in zip(each, ports, strict=True)}
    each["registry"][1]["REMIT_PROJECTIONS_URL"] = urls["projections"]  # its links point there
    logs = {}
    try:
        for (name, (args, env)), port in zip(each.items(), ports, strict=True):
            logs[name] = logdir / f"{name}.log"
            with logs[name].open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *args],
                        cwd=REPO_ROOT,
                        env={**os.environ, **common, **env, "REMIT_PORT": str(port)},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
                )
        for proc, name in zip(procs, each, strict=True):
            _wait_healthy(urls[name], proc, logs[name])
        yield Services(urls["registry"], urls["projections"], urls["notifier"], topic, logs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="package")
def services(database_url: str, kafka_bootstrap: str) -> Iterator[Services]:
    # No per-caller limits: the fuzzing and stateful runs send hundreds of requests as admin.
    with running(
        database_url, kafka_bootstrap, REMIT_WRITE_RATE_PER_S="0", REMIT_SUBSCRIPTION_RATE_PER_S="0"
    ) as started:
        yield started
