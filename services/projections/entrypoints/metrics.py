"""Prometheus metrics of the projections service (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

POSITION = Gauge("remit_projection_position", "Last global position applied")
LAG = Gauge("remit_projection_consumer_lag", "Records behind the high watermark", ["partition"])
APPLIED = Counter("remit_projection_events_applied", "Events applied to the read model")
DEAD = Counter("remit_projection_dead_letters", "Records dead-lettered", ["kind"])
UNACKED = Gauge("remit_projection_dead_letters_unacknowledged", "Dead letters not acknowledged")
