"""Prometheus metrics of the notifier's deliveries (the consumer's are the kit's:
:mod:`services.common.consumer`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry()
DELIVERIES = Counter(
    "remit_notifier_deliveries",
    "Delivery attempts by channel and outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
DEAD_DELIVERIES = Counter(
    "remit_notifier_deliveries_dead", "Deliveries that exhausted their retries", registry=REGISTRY
)
JOBS_CREATED = Counter("remit_notifier_jobs_created", "Delivery jobs stored", registry=REGISTRY)
