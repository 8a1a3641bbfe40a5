"""Dead letters: records a consumer could not use, kept for an operator to acknowledge.

One table shape (``<schema>.dead_letters``, created by each consumer's migrations), one store,
one publisher to the DLQ topic and one pair of routes (:mod:`.dead_letter_routes`) for every
consumer. Kinds: ``undecodable`` and ``apply_error`` go to the DLQ topic too (original key,
value and headers plus the ``dlq_*`` headers of :mod:`schemas.wire`); ``position_gap`` marks a
record that was applied but did not follow the one before (an anomaly to look at).
Any unacknowledged dead letter makes the service ``degraded`` in ``/readyz``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from aiokafka import AIOKafkaProducer
from prometheus_client import Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.wire import (
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_REASON,
    DLQ_HEADER_SOURCE_OFFSET,
    DLQ_HEADER_SOURCE_PARTITION,
    DLQ_HEADER_SOURCE_TOPIC,
)
from services.common.kafka import KafkaSettings, client_options

UNDECODABLE, APPLY_ERROR, POSITION_GAP = "undecodable", "apply_error", "position_gap"
MAX_REASON = 2000
UNACKNOWLEDGED = Gauge(
    "remit_dead_letters_unacknowledged", "Dead letters no operator has acknowledged", ["consumer"]
)


class SourceRecord(NamedTuple):
    """Where a consumed record came from, and its bytes as consumed (a dead letter goes to the
    DLQ topic unchanged)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def of(cls, record: Any) -> SourceRecord:
        """From an aiokafka ``ConsumerRecord``."""
        headers = tuple((name, bytes(value)) for name, value in record.headers or ())
        return cls(record.topic, record.partition, record.offset, record.key, record.value, headers)


@dataclass(frozen=True)
class DeadLetter:
    kind: str
    consumer: str
    source: SourceRecord
    reason: str
    position: int | None = None

    @property
    def to_topic(self) -> bool:
        """A gap was applied: it is kept in the table only."""
        return self.kind != POSITION_GAP

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        extra = {
            DLQ_HEADER_REASON: self.reason,
            DLQ_HEADER_SOURCE_TOPIC: self.source.topic,
            DLQ_HEADER_SOURCE_PARTITION: str(self.source.partition),
            DLQ_HEADER_SOURCE_OFFSET: str(self.source.offset),
            DLQ_HEADER_CONSUMER: self.consumer,
        }
        return [*self.source.headers, *((k, v.encode()) for k, v in extra.items())]


def dead_letter(
    kind: str, consumer: str, record: Any, reason: str, position: int | None = None
) -> DeadLetter:
    """A dead letter of an aiokafka record (the reason cut to :data:`MAX_REASON`)."""
    return DeadLetter(kind, consumer, SourceRecord.of(record), reason[:MAX_REASON], position)


class DeadLetterPublisher(Protocol):
    async def publish(self, letter: DeadLetter) -> None: ...


class KafkaDeadLetterPublisher:
    """Produces dead records to the DLQ topic, idempotently, ``acks=all``."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._kafka, self._topic = kafka, topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            **client_options(self._kafka), acks="all", enable_idempotence=True
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(self, letter: DeadLetter) -> None:
        if self._producer is None:
            raise RuntimeError("publish() before start()")
        source = letter.source
        await self._producer.send_and_wait(
            self._topic, value=source.value, key=source.key, headers=letter.dlq_headers()
        )


_INSERT = (
    "INSERT INTO {schema}.dead_letters (kind, consumer, source_topic, source_partition, "
    "source_offset, position, reason, record_key, record_value, record_headers) "
    "VALUES (:kind, :consumer, :topic, :partition, :offset, :position, :reason, :key, :value, "
    "CAST(:headers AS jsonb)) ON CONFLICT DO NOTHING RETURNING id"
)
_LIST = (
    "SELECT id, kind, consumer, source_topic, source_partition, source_offset, position, "
    "reason, record_headers AS headers, created_at, acknowledged_at, acknowledged_by, "
    "encode(substring(record_value FROM 1 FOR 2000), 'escape') AS value "
    "FROM {schema}.dead_letters{where} ORDER BY id"
)
_ACKNOWLEDGE = (
    "UPDATE {schema}.dead_letters SET acknowledged_at = coalesce(acknowledged_at, now()), "
    "acknowledged_by = coalesce(acknowledged_by, :by) WHERE id = :id RETURNING id"
)
_OPEN = "SELECT count(*) FROM {schema}.dead_letters WHERE acknowledged_at IS NULL"


class DeadLetterStore:
    """The ``dead_letters`` table of one schema."""

    def __init__(self, engine: AsyncEngine, schema: str, consumer: str) -> None:
        self.engine, self.schema, self.consumer = engine, schema, consumer

    def _sql(self, template: str, where: str = "") -> Any:
        return text(template.format(schema=self.schema, where=where))

    async def keep(
        self, conn: AsyncConnection, letters: Iterable[DeadLetter], publisher: DeadLetterPublisher
    ) -> tuple[DeadLetter, ...]:
        """Record ``letters`` in the caller's transaction and publish those new to the table
        (a replayed batch's are not) before the caller commits: a crash then re-publishes
        rather than loses them. Returns the new ones."""
        new = []
        for letter in letters:
            if await self._record(conn, letter):
                new.append(letter)
                if letter.to_topic:
                    await publisher.publish(letter)
        return tuple(new)

    async def _record(self, conn: AsyncConnection, letter: DeadLetter) -> bool:
        source = letter.source
        headers = [[k, v.decode("utf-8", "replace")] for k, v in source.headers]
        params = {
            "kind": letter.kind,
            "consumer": letter.consumer,
            "topic": source.topic,
            "partition": source.partition,
            "offset": source.offset,
            "position": letter.position,
            "reason": letter.reason,
            "key": source.key,
            "value": source.value,
            "headers": json.dumps(headers),
        }
        return (await conn.execute(self._sql(_INSERT), params)).first() is not None

    async def listing(self, include_acknowledged: bool) -> list[dict[str, Any]]:
        where = "" if include_acknowledged else " WHERE acknowledged_at IS NULL"
        async with self.engine.connect() as conn:
            rows = (await conn.execute(self._sql(_LIST, where))).mappings().all()
        return [{**row, "headers": _json(row["headers"])} for row in rows]

    async def unacknowledged(self) -> int:
        """How many are open (also the ``remit_dead_letters_unacknowledged`` gauge)."""
        async with self.engine.connect() as conn:
            count = int((await conn.execute(self._sql(_OPEN))).scalar_one())
        UNACKNOWLEDGED.labels(self.consumer).set(count)
        return count

    async def acknowledge(self, letter_id: int, by: str) -> bool:
        """Idempotent: the first acknowledgement's time and author are kept."""
        async with self.engine.begin() as conn:
            found = await conn.execute(self._sql(_ACKNOWLEDGE), {"id": letter_id, "by": by})
            return found.first() is not None


@dataclass(frozen=True)
class DeadLetterSink:
    """Where a consumer's dead letters go: its table, and the DLQ topic for the new ones."""

    store: DeadLetterStore
    publisher: DeadLetterPublisher

    async def keep(
        self, conn: AsyncConnection, letters: Iterable[DeadLetter]
    ) -> tuple[DeadLetter, ...]:
        return await self.store.keep(conn, letters, self.publisher)


def _json(value: Any) -> Any:
    """A ``jsonb`` value as it comes back from a textual statement (a string) or decoded."""
    return json.loads(value) if isinstance(value, str) else value
