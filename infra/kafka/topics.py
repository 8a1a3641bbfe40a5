"""Create topics idempotently with aiokafka's admin client."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.common.kafka import KafkaSettings, client_options

_ALREADY_EXISTS = TopicAlreadyExistsError.errno


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    configs: dict[str, str] = field(default_factory=dict)


REMIT_TOPICS = (
    TopicSpec("remit.events", 1, {"retention.ms": "-1", "cleanup.policy": "delete"}),
    TopicSpec("remit.events.dlq", 1, {"retention.ms": "-1"}),
)


async def create_topics(kafka: KafkaSettings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet (replication factor 1); return those created.
    ``kafka`` must be allowed to (the broker's administrator where ACLs apply)."""
    admin = AIOKafkaAdminClient(**client_options(kafka), client_id="remit-infra")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        new = [NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing]
        response = await admin.create_topics(new)
        # entries are (topic, error_code, error_message, ...) depending on the version
        errors = [e for e in response.topic_errors if e[1] not in (0, _ALREADY_EXISTS)]
        if errors:
            raise RuntimeError(f"could not create topics: {errors}")
        return [spec.name for spec in missing]
    finally:
        await admin.close()


async def ensure_remit_topics(kafka: KafkaSettings) -> list[str]:
    """remit.events and remit.events.dlq: one partition each, kept forever."""
    return await create_topics(kafka, REMIT_TOPICS)
