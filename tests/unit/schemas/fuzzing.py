"""What the wire fuzz tests share: Hypothesis settings and the CloudEvents headers."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


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


def mutated(data: Any, value: bytes, json_values: Any, fields: int) -> bytes:
    """The record value with up to ``fields`` payload fields replaced, and maybe a byte
    overwritten by garbage."""
    payload = json.loads(value)
    for field in data.draw(st.lists(st.sampled_from(sorted(payload)), max_size=fields)):
        payload[field] = data.draw(json_values)
    out: bytes = json.dumps(payload).encode()
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(out)))
        out = out[:cut] + data.draw(st.binary(max_size=8)) + out[cut + 1 :]
    return out
