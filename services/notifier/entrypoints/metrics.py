"""Prometheus metrics of the notifier (one registry per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()
DELIVERIES = Counter(
    "remit_notifier_deliveries",
    "Delivery attempts by channel and outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "remit_notifier_dead_letters",
    "Records dead-lettered (table and DLQ topic), by kind: undecodable, apply_error",
    ["kind"],
    registry=REGISTRY,
)
UNACKED = Gauge(
    "remit_notifier_dead_letters_unacknowledged",
    "Dead letters no operator has acknowledged",
    registry=REGISTRY,
)
DEAD_DELIVERIES = Counter(
    "remit_notifier_deliveries_dead", "Deliveries that exhausted their retries", registry=REGISTRY
)
JOBS_CREATED = Counter("remit_notifier_jobs_created", "Delivery jobs stored", registry=REGISTRY)
CONSUMER_LAG = Gauge(
    "remit_notifier_consumer_lag",
    "Records between the committed offset and the high watermark",
    registry=REGISTRY,
)
CHECKPOINT = Gauge(
    "remit_notifier_checkpoint_position", "Last global position applied", registry=REGISTRY
)
