"""Publishing positioned events to Kafka as CloudEvents (binary mode), idempotently, acks=all."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.envelope import DomainEvent
from schemas.wire import encode
from services.common.kafka import KafkaSettings, client_options

PUBLISH_ERRORS: tuple[type[BaseException], ...] = (KafkaError, TimeoutError, OSError)
"""What a publish can fail with while the broker is away; the relay backs off and retries."""


class KafkaEventPublisher:
    """One idempotent producer; ``publish`` returns when the broker acknowledged every record.

    Records of one batch are sent in order on one producer, so with ``enable_idempotence`` they
    land in that order even when the client retries.
    """

    def __init__(
        self, kafka: KafkaSettings, topic: str, *, request_timeout_ms: int, client_id: str
    ) -> None:
        self._kafka = kafka
        self._topic = topic
        self._request_timeout_ms = request_timeout_ms
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    @property
    def started(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(
            **client_options(self._kafka),
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=self._request_timeout_ms,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(
        self, events: Sequence[tuple[int, DomainEvent]], stop_event: asyncio.Event
    ) -> None:
        """Send every (position, event) in order; return when all are acknowledged.

        Raises a ``PUBLISH_ERRORS`` exception if one was not, and :class:`PublishInterrupted`
        if ``stop_event`` is set first (some records may have been sent: the caller must not
        move its checkpoint)."""
        sending = asyncio.ensure_future(self._send_all(events))
        stopping = asyncio.ensure_future(stop_event.wait())
        try:
            await asyncio.wait({sending, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not sending.done():
                sending.cancel()
        try:
            await sending
        except asyncio.CancelledError:
            if stop_event.is_set() and not _current_task_cancelling():
                raise PublishInterrupted("stopped while publishing") from None
            raise

    async def _send_all(self, events: Sequence[tuple[int, DomainEvent]]) -> None:
        if self._producer is None:
            raise RuntimeError("publish() before start()")
        pending = []
        for position, event in events:
            record = encode(event, position)
            pending.append(
                await self._producer.send(
                    self._topic, value=record.value, key=record.key, headers=list(record.headers)
                )
            )
        timeout = 2 * self._request_timeout_ms / 1000
        results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout)
        for result in results:
            if isinstance(result, BaseException):
                raise result


class PublishInterrupted(Exception):
    """``publish`` gave up because the caller is stopping."""


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
