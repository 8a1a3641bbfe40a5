"""When to try a delivery again: a fixed schedule, jitter, and the receiver's Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

DEFAULT_SCHEDULE: tuple[float, ...] = (
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
)
"""Delays after attempts 1..9 (about 3.1 days in all); attempt 10 is the last."""


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.1
    max_retry_after: float = 24 * 3600

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def total_span(self) -> float:
        """Seconds between the first and the last attempt, before jitter."""
        return float(sum(self.schedule))

    def next_delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based); ``None``: that was the last.

        Jitter spreads retries over ``delay * (1 ± jitter)``. A Retry-After longer than that is
        honoured, up to ``max_retry_after``.
        """
        if attempt < 1 or attempt > len(self.schedule):
            return None
        base = self.schedule[attempt - 1]
        delay = base * (1 + self.jitter * (2 * rand() - 1))
        if retry_after is not None and retry_after > delay:
            delay = min(retry_after, max(self.max_retry_after, base))
        return max(delay, 0.0)


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now_epoch, 0.0)
