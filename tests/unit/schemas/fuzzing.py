"""What the wire fuzz tests share: Hypothesis settings and the CloudEvents headers."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


CE_HEADERS = [
    "ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "ce_subject", "content-type",
    "ce_position", "ce_streamversion", "ce_correlationid", "ce_causationid", "ce_partitionkey",
]  # fmt: skip
