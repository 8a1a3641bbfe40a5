"""Latency summaries: nearest-rank percentiles in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence

PERCENTILES = (50.0, 95.0, 99.0, 99.9)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """``{"n", "p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"}`` of latencies in s."""
    values = sorted(seconds)
    out: dict[str, float | int | None] = {"n": len(values)}
    for p in PERCENTILES:
        v = percentile(values, p)
        key = {50.0: "p50_ms", 95.0: "p95_ms", 99.0: "p99_ms", 99.9: "p999_ms"}[p]
        out[key] = None if v is None else round(v * 1000, 3)
    out["max_ms"] = round(values[-1] * 1000, 3) if values else None
    out["mean_ms"] = round(sum(values) / len(values) * 1000, 3) if values else None
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 3)
