"""A single-node Apache Kafka 4.x (KRaft, broker+controller) run from Maven Central jars."""

from infra.kafka.server import KAFKA_VERSION, libs_dir, resolve, start, status, stop
from infra.kafka.topics import REMIT_TOPICS, TopicSpec, create_topics, ensure_remit_topics

__all__ = [
    "KAFKA_VERSION",
    "REMIT_TOPICS",
    "TopicSpec",
    "create_topics",
    "ensure_remit_topics",
    "libs_dir",
    "resolve",
    "start",
    "status",
    "stop",
]
