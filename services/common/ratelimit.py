"""Per-caller rate limits: one token bucket per token subject, kept in this process.

A limit allows ``rate_per_s`` requests a second on average and bursts of up to ``burst``; a
request beyond that is refused with 429 and a ``Retry-After`` (seconds until one would pass).
A rate of 0 turns the limit off. Refusals are counted in ``remit_rate_limited_total``.

The buckets live in memory: with several replicas behind a load balancer each keeps its own,
so one caller may get up to (replicas x rate); a restart forgets them. That bounds what one
token can do to one process, which is the point (see docs/security.md); a limit shared by all
replicas belongs in the gateway in front of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter

REFUSED = Counter(
    "remit_rate_limited_total",
    "Requests refused with 429 by a per-caller rate limit, by limit.",
    ["limit"],
)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    def __init__(
        self,
        name: str,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 10_000,
    ) -> None:
        self.name, self.rate, self.burst = name, rate_per_s, max(1, burst)
        self._clock = clock
        self._max_callers = max_callers
        self._buckets: dict[str, _Bucket] = {}
        REFUSED.labels(name)  # the series exists (at 0) before the first refusal

    def take(self, caller: str) -> float:
        """0 if ``caller`` may go ahead (and it is counted); else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(caller)
        tokens = self.burst if bucket is None else self._level(bucket, now)
        if tokens >= 1:
            self._store(caller, tokens - 1, now)
            return 0.0
        self._store(caller, tokens, now)
        REFUSED.labels(self.name).inc()
        return (1 - tokens) / self.rate

    def retry_after(self, wait_s: float) -> str:
        """``Retry-After`` in whole seconds, at least 1."""
        return str(max(1, math.ceil(wait_s)))

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)

    def _store(self, caller: str, tokens: float, now: float) -> None:
        if caller not in self._buckets and len(self._buckets) >= self._max_callers:
            # a full bucket is the same as none: forget those, so memory stays bounded
            full = [k for k, b in self._buckets.items() if self._level(b, now) >= self.burst]
            for key in full:
                del self._buckets[key]
        self._buckets[caller] = _Bucket(tokens, now)
