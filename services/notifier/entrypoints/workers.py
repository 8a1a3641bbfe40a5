"""The worker pool: asyncio tasks that claim due jobs and deliver them.

Claims go through one lock per process so the per-subscription in-flight limit holds exactly
here (across processes it is approximate). A worker that finds nothing waits for a wake-up
from the consumer or for the poll interval.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from services.notifier.entrypoints import metrics
from services.notifier.service_layer.delivery import Delivery

log = structlog.get_logger(__name__)


class WorkerPool:
    def __init__(
        self,
        delivery: Delivery,
        size: int,
        per_subscription: int,
        poll_s: float,
        lease: timedelta,
    ) -> None:
        self.delivery = delivery
        self.size = size
        self.per_subscription = per_subscription
        self.poll_s = poll_s
        self.lease = lease
        self.wake = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(i), name=f"notifier-worker-{i}")
            for i in range(self.size)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def poke(self) -> None:
        self.wake.set()

    async def _work(self, index: int) -> None:
        while True:
            try:
                if not await self.once():
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker_failed", worker=index)
                await asyncio.sleep(self.poll_s)

    async def once(self) -> bool:
        async with self._claim_lock:
            jobs = await self.delivery.jobs.claim(
                datetime.now(UTC), self.lease, self.per_subscription
            )
        if not jobs:
            return False
        self.wake.set()  # there may be more: let another idle worker look
        for job in jobs:
            result = await self.delivery.deliver(job)
            metrics.DELIVERIES.labels(job.channel, result.outcome).inc()
            if result.job_status == "dead":
                metrics.DEAD_DELIVERIES.inc()
        return True

    async def _idle(self) -> None:
        self.wake.clear()
        try:
            await asyncio.wait_for(self.wake.wait(), timeout=self.poll_s)
        except TimeoutError:
            pass
