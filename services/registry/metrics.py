"""The registry's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "remit_registry_events_appended_total", "Events appended to the store.", ["event_type"]
)
COMMANDS = Counter(
    "remit_registry_commands_total", "Commands handled, by outcome.", ["command", "outcome"]
)
OUTBOX_BACKLOG = Gauge(
    "remit_registry_outbox_backlog", "Stored events not yet published to Kafka (at last check)."
)
HEAD_POSITION = Gauge("remit_registry_head_position", "Highest global position assigned.")
PUBLISH_LATENCY = Histogram(
    "remit_registry_publish_latency_seconds",
    "Time from an event's recording to its publication on Kafka.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH_COMMANDS = Histogram(
    "remit_registry_batch_commands",
    "Commands decided and appended together in one group-commit batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
