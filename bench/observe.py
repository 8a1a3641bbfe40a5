"""Observers for end-to-end timing: a Kafka consumer and a webhook receiver, each in a thread,
recording wall-clock arrival times by event id."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Self

from aiokafka import AIOKafkaConsumer

from services.common.kafka import KafkaSettings, client_options


class Background:
    """Runs ``self.main(stop)`` on its own event loop in a daemon thread."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        self._loop.run_until_complete(self.main(self._stop))

    async def main(self, stop: asyncio.Event) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        if not self._ready.wait(60):
            raise TimeoutError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


class KafkaArrivals(Background):
    """ce_id -> first arrival time on ``topic``."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        super().__init__()
        self.kafka, self.topic = kafka, topic

    async def main(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            **client_options(self.kafka),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=5,
        )
        await consumer.start()
        self._ready.set()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for records in batches.values():
                    for record in records:
                        for name, value in record.headers or ():
                            if name == "ce_id":
                                self.arrivals.setdefault(value.decode(), now)
        finally:
            await consumer.stop()


class WebhookReceiver(Background):
    """A minimal HTTP/1.1 server on 127.0.0.1: answers 204, records data.event.event_id."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.deliveries = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def main(self, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await stop.wait()
            for writer in list(self._writers):
                writer.close()
            server.close()
            await asyncio.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                now = time.time()
                self._record(body, now)
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _record(self, body: bytes, now: float) -> None:
        try:
            message: dict[str, Any] = json.loads(body)
            event_id = str(message["data"]["event"]["event_id"])
        except (ValueError, KeyError, TypeError):
            return
        self.deliveries += 1
        self.arrivals.setdefault(event_id, now)
