"""The transactional-outbox relay: committed events -> Kafka ``remit.events``, in position order.

One relay is active at a time: it holds a session-level advisory lock on its own connection;
others wait on ``pg_try_advisory_lock`` and take over when that connection goes away. Each cycle
runs the sequencer, then publishes ``position > relay_state.last_published`` in order, awaits the
broker's acks and only then moves the checkpoint. A crash between the two re-sends the batch:
same event ids and positions, which consumers drop (``position <= their watermark``).

Runs inside the API process (``REMIT_RUN_RELAY``) or alone: ``python -m services.registry relay``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from schemas.envelope import DomainEvent
from schemas.upcasting import decode
from services.registry import metrics
from services.registry.adapters.db import SEQUENCED_CHANNEL, Tables
from services.registry.adapters.db import create_engine as create_db_engine
from services.registry.adapters.kafka_producer import (
    PUBLISH_ERRORS,
    KafkaEventPublisher,
    PublishInterrupted,
)
from services.registry.adapters.sequencer import sequence_batch
from services.registry.config import RegistrySettings

log = logging.getLogger(__name__)


class Backoff:
    """Capped exponential delays: initial, 2x, 4x, ... up to ``cap``."""

    def __init__(self, initial: float, cap: float) -> None:
        self._initial, self._cap, self._next = initial, cap, initial

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._initial


async def _wait_any(events: list[asyncio.Event], seconds: float) -> None:
    """Return when any of ``events`` is set, or after ``seconds``."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def run_relay(settings: RegistrySettings, stop_event: asyncio.Event) -> None:
    """Relay until ``stop_event`` is set. Nothing ends it early: database and broker outages,
    and any unexpected failure (say, a stored event this code cannot decode), are logged and
    retried with backoff, since a relay that silently stopped would strand every later event."""
    engine = create_db_engine(settings, poolclass=NullPool)
    backoff = Backoff(settings.relay_backoff_initial_s, settings.relay_backoff_max_s)
    try:
        while not stop_event.is_set():
            try:
                await _serve(engine, settings, stop_event)
            except (DBAPIError, OSError) as exc:
                delay = backoff.next()
                log.warning("relay: database unavailable (%s); retrying in %.1fs", exc, delay)
                await _wait_any([stop_event], delay)
            except Exception:  # see the docstring: the relay must not die
                delay = backoff.next()
                log.exception("relay: failed; retrying in %.1fs", delay)
                await _wait_any([stop_event], delay)
    finally:
        await engine.dispose()
        log.info("relay: stopped")


async def _serve(
    engine: AsyncEngine, settings: RegistrySettings, stop_event: asyncio.Event
) -> None:
    tables = Tables(settings.db_schema)
    async with engine.connect() as connection:
        if not await _acquire_leadership(connection, tables, settings, stop_event):
            return
        log.info("relay: active (schema %s, topic %s)", tables.schema, settings.events_topic)
        wake = Wake()
        raw: Any = (await connection.get_raw_connection()).driver_connection
        await raw.add_listener(SEQUENCED_CHANNEL, wake.notified)
        publisher = KafkaEventPublisher(
            settings,
            settings.events_topic,
            request_timeout_ms=settings.kafka_request_timeout_ms,
            client_id="remit-relay",
        )
        # One statement, one transaction: a relay cycle is a few round trips, not BEGIN/COMMIT
        # pairs. The checkpoint may be committed lazily: a crash then re-sends some records,
        # which consumers drop anyway; positions stay durable (sequence_batch forces it).
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SET synchronous_commit = off"))
        try:
            await _relay_loop(connection, tables, settings, publisher, wake, stop_event)
        finally:
            await publisher.stop()


class Wake:
    """What wakes the relay: a sequencer batch it has not itself run or read past (its own
    batches' notifications would otherwise cost it an empty cycle each). Writers sequence their
    own events after commit; the poll interval covers one that died before it could."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.seen = 0

    def notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit() and int(payload) <= self.seen:
            return
        self.event.set()

    def saw(self, position: int) -> None:
        self.seen = max(self.seen, position)


async def _acquire_leadership(
    connection: AsyncConnection,
    tables: Tables,
    settings: RegistrySettings,
    stop_event: asyncio.Event,
) -> bool:
    """Wait for the session-level relay lock; False if stopped first."""
    sql = text(f"SELECT pg_try_advisory_lock({tables.relay_lock})")
    announced = False
    while not stop_event.is_set():
        async with connection.begin():
            if (await connection.execute(sql)).scalar():
                return True
        if not announced:
            log.info("relay: standby (another relay holds the lock)")
            announced = True
        await _wait_any([stop_event], settings.relay_lock_retry_s)
    return False


async def _relay_loop(
    connection: AsyncConnection,
    tables: Tables,
    settings: RegistrySettings,
    publisher: KafkaEventPublisher,
    wake: Wake,
    stop_event: asyncio.Event,
) -> None:
    backoff = Backoff(settings.relay_backoff_initial_s, settings.relay_backoff_max_s)
    while not stop_event.is_set():
        wake.event.clear()
        await _sequence_all(connection, tables, settings.sequencer_batch_size, wake)
        try:
            await publisher.start()
            await _drain(connection, tables, settings, publisher, stop_event, wake)
        except PublishInterrupted:
            return
        except PUBLISH_ERRORS as exc:
            delay = backoff.next()
            log.warning("relay: publishing failed (%r); retrying in %.1fs", exc, delay)
            await publisher.stop()
            await _wait_any([stop_event], delay)
            continue
        backoff.reset()
        await _wait_any([wake.event, stop_event], settings.relay_poll_interval_s)


async def _sequence_all(
    connection: AsyncConnection, tables: Tables, limit: int, wake: Wake
) -> None:
    """Sequencer batches (each its own autocommit statement) until one comes out short."""
    while batch := await sequence_batch(connection, tables, limit):
        wake.saw(batch.last_position)
        if batch.assigned < limit:
            return


def _observe_published(batch: Sequence[tuple[int, DomainEvent]]) -> None:
    now = datetime.now(UTC)
    for _, event in batch:
        metrics.PUBLISH_LATENCY.observe((now - event.recorded_at).total_seconds())


async def _drain(
    connection: AsyncConnection,
    tables: Tables,
    settings: RegistrySettings,
    publisher: KafkaEventPublisher,
    stop_event: asyncio.Event,
    wake: Wake,
) -> None:
    """Publish batches after the checkpoint until caught up (or asked to stop)."""
    unpublished_sql = text(
        f"SELECT position, payload FROM {tables.events} WHERE position >"
        f" (SELECT last_published FROM {tables.relay_state}) ORDER BY position LIMIT :limit"
    ).columns(payload=JSONB)
    advance_sql = text(
        f"UPDATE {tables.relay_state} SET last_published = :last WHERE last_published < :last"
    )
    while not stop_event.is_set():
        result = await connection.execute(unpublished_sql, {"limit": settings.relay_batch_size})
        batch = [(int(position), decode(payload)) for position, payload in result]
        if not batch:
            return
        wake.saw(batch[-1][0])
        await publisher.publish(batch, stop_event)
        _observe_published(batch)
        await connection.execute(advance_sql, {"last": batch[-1][0]})
        log.debug("relay: published positions %d..%d", batch[0][0], batch[-1][0])
        if len(batch) < settings.relay_batch_size:
            return
