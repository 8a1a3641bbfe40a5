"""The native stack as separate processes (the supervisor ``make run`` uses), on free ports,
in fresh schemas and a fresh topic, against the session's real PostgreSQL and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from infra.kafka import TopicSpec, create_topics
from infra.settings import free_ports
from infra.supervisor import ServiceSpec, Supervisor
from services.common.kafka import KafkaSettings
from tests.integration.notifier.support import SmtpSink


@dataclass
class Stack:
    registry: str
    projections: str
    notifier: str
    topic: str
    pages: str = ""
    """The pages for people (served by the projections process on a port of its own)."""
    mail: SmtpSink | None = None
    """Where the notifier's e-mail goes (its links point at ``pages``)."""
    logs: list[tuple[str, str]] = field(default_factory=list)

    def log_lines(self, service: str) -> list[str]:
        return [line for name, line in self.logs if name == service]


@pytest.fixture(scope="module")
async def stack(
    database_url: str, kafka_bootstrap: str, kafka_connection: KafkaSettings
) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:8]
    topic, dlq = f"e2e.events.{run}", f"e2e.events.dlq.{run}"
    await create_topics(
        kafka_connection,
        [TopicSpec(topic, 1, {"retention.ms": "-1"}), TopicSpec(dlq, 1, {"retention.ms": "-1"})],
    )
    common = {
        "REMIT_DATABASE_URL": database_url,
        "REMIT_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "REMIT_EVENTS_TOPIC": topic,
        "REMIT_DLQ_TOPIC": dlq,
        "REMIT_LOG_LEVEL": "INFO",
    }
    ports = free_ports(4)
    pages = f"http://127.0.0.1:{ports[3]}"
    mail = SmtpSink().start()
    specs = [
        ServiceSpec(
            "registry",
            "services.registry",
            ports[0],
            ("serve",),
            {**common, "REMIT_DB_SCHEMA": f"registry_e2e_{run}"},
        ),
        ServiceSpec(
            "projections",
            "services.projections",
            ports[1],
            (),
            {
                **common,
                "REMIT_DB_SCHEMA": f"projections_e2e_{run}",
                "REMIT_CONSUMER_GROUP": f"projections-e2e-{run}",
                "REMIT_PAGES_PORT": str(ports[3]),
            },
        ),
        ServiceSpec(
            "notifier",
            "services.notifier",
            ports[2],
            (),
            {
                **common,
                "REMIT_DB_SCHEMA": f"notifier_e2e_{run}",
                "REMIT_CONSUMER_GROUP": f"notifier-e2e-{run}",
                "REMIT_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
                "REMIT_SMTP_PORT": str(mail.port),
                "REMIT_PAGES_BASE_URL": pages,
            },
        ),
    ]
    result = Stack(specs[0].url, specs[1].url, specs[2].url, topic=topic, pages=pages, mail=mail)
    supervisor = Supervisor(
        specs, colour=False, sink=lambda name, line: result.logs.append((name, line))
    )
    supervisor.start()
    try:
        await supervisor.wait_healthy(within_s=120)
        yield result
    finally:
        await supervisor.stop()
        mail.stop()
