"""Per-caller token buckets (services/common/ratelimit.py), on a clock the test moves."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.common.ratelimit import RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused(name: str) -> float:
    return REGISTRY.get_sample_value("remit_rate_limited_total", {"limit": name}) or 0.0


def test_a_burst_passes_then_the_rate_applies_and_the_refusals_are_counted() -> None:
    clock = Clock()
    limit = RateLimit("unit-burst", rate_per_s=2.0, burst=5, clock=clock)
    assert [limit.take("alice") for _ in range(5)] == [0.0] * 5
    wait = limit.take("alice")
    assert wait == 0.5  # one request every half second
    assert limit.retry_after(wait) == "1"
    assert refused("unit-burst") == 1
    clock.now += 0.5
    assert limit.take("alice") == 0.0
    assert limit.take("alice") > 0


def test_callers_have_buckets_of_their_own() -> None:
    limit = RateLimit("unit-callers", rate_per_s=1.0, burst=1, clock=Clock())
    assert limit.take("alice") == 0.0
    assert limit.take("alice") > 0
    assert limit.take("bob") == 0.0


def test_the_bucket_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    limit = RateLimit("unit-refill", rate_per_s=10.0, burst=3, clock=clock)
    for _ in range(3):
        limit.take("alice")
    clock.now += 3600
    assert [limit.take("alice") for _ in range(4)][-1] > 0  # 3 pass, the 4th waits


def test_a_rate_of_zero_is_no_limit() -> None:
    limit = RateLimit("unit-off", rate_per_s=0, burst=1, clock=Clock())
    assert all(limit.take("alice") == 0.0 for _ in range(10_000))


def test_memory_stays_bounded_by_forgetting_full_buckets() -> None:
    clock = Clock()
    limit = RateLimit("unit-bounded", rate_per_s=1.0, burst=2, clock=clock, max_callers=100)
    for i in range(100):
        limit.take(f"caller-{i}")
    clock.now += 10  # every bucket is full again: the same as none
    limit.take("newcomer")
    assert len(limit._buckets) == 1
