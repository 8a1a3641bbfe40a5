"""Closed-loop load: N clients, each sending its next request when the last one answered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.cpu import CpuWindow

Step = Callable[[int, int], Awaitable[None]]
"""``step(client, k)`` performs client's k-th operation; raising counts an error."""


@dataclass
class Run:
    clients: int
    window_s: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    """The CPU window's figures over the measured interval only (see :func:`closed_loop`)."""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.window_s if self.window_s else 0.0


async def closed_loop(
    clients: int, warmup_s: float, duration_s: float, step: Step, cpu: CpuWindow | None = None
) -> Run:
    """Operations that finish inside [start + warmup, start + warmup + duration) count; ``cpu``
    is read over that same interval (so CPU per operation excludes set-up and warm-up)."""
    begin = time.perf_counter()
    measure_from, end = begin + warmup_s, begin + warmup_s + duration_s
    run = Run(clients, duration_s)

    async def measure_cpu(window: CpuWindow) -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        window.begin()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        run.cpu = window.end()

    async def client(index: int) -> None:
        k = 0
        while (now := time.perf_counter()) < end:
            try:
                await step(index, k)
            except Exception as exc:  # recorded, reported; the client goes on
                run.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                done = time.perf_counter()
                if measure_from <= now and done < end:
                    run.latencies.append(done - now)
            k += 1

    watch = [measure_cpu(cpu)] if cpu else []
    await asyncio.gather(*watch, *(client(i) for i in range(clients)))
    return run
