"""The worker pool: one claimer that claims due jobs in batches, and a task per delivery.

Claims are made by a single task per process, so the per-subscription in-flight limit holds
exactly here (across processes it is approximate); each claim asks for as many jobs as there
are free delivery slots (``size`` in flight at most), in one statement. The claimer waits for
a wake-up (the consumer stored jobs, an API call requeued something, a delivery finished while
due jobs were left behind) or for the poll interval (retries that became due).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from services.notifier import metrics
from services.notifier.service_layer.delivery import Delivery
from services.notifier.service_layer.ports import ClaimedJob

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
        self.delivery, self.size, self.per_subscription = delivery, size, per_subscription
        self.poll_s, self.lease = poll_s, lease
        self.wake = asyncio.Event()
        self._claimer: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._left_behind = True
        """Due jobs were left unclaimed (no free slot, the LIMIT, a subscription's in-flight
        limit): a finishing delivery then wakes the claimer; otherwise it need not ask."""

    def start(self) -> None:
        self._claimer = asyncio.create_task(self._claim_loop(), name="notifier-claimer")

    async def stop(self) -> None:
        tasks = [*self._in_flight, *([self._claimer] if self._claimer else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def poke(self) -> None:
        self.wake.set()

    async def _claim_loop(self) -> None:
        while True:
            try:
                if not await self.once():
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claim_failed")
                await asyncio.sleep(self.poll_s)

    async def once(self) -> bool:
        """Claim for every free slot and start delivering; False if there was nothing to do
        (no free slot, or no due job), so the caller waits for a wake-up."""
        self.wake.clear()
        free = self.size - len(self._in_flight)
        if free <= 0:
            self._left_behind = True
            return False  # a finishing delivery wakes the claimer
        jobs, left = await self.delivery.jobs.claim_some(
            datetime.now(UTC), self.lease, self.per_subscription, limit=free
        )
        self._left_behind = left > 0
        for job in jobs:
            task = asyncio.create_task(self._deliver(job), name=f"notifier-delivery-{job.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        return len(jobs) == free  # a full batch: there may be more due

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._left_behind:  # a free slot, and room under a subscription's in-flight limit
            self.wake.set()

    async def _deliver(self, job: ClaimedJob) -> None:
        try:
            result = await self.delivery.deliver(job)
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease returns the job to the queue
            log.exception("delivery_failed", job_id=str(job.id))
            return
        metrics.DELIVERIES.labels(job.channel, result.outcome).inc()
        if result.job_status == "dead":
            metrics.DEAD_DELIVERIES.inc()

    async def _idle(self) -> None:
        if self.wake.is_set():
            return
        try:
            await asyncio.wait_for(self.wake.wait(), timeout=self.poll_s)
        except TimeoutError:
            pass
