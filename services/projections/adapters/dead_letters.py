"""Dead letters: the ``dead_letters`` table (control schema, survives rebuilds) and the DLQ topic.

Kinds: ``undecodable`` and ``apply_error`` (the record went to the DLQ topic too) and
``position_gap`` (the record was applied; it is kept as an anomaly to acknowledge).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.wire import (
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_REASON,
    DLQ_HEADER_SOURCE_OFFSET,
    DLQ_HEADER_SOURCE_PARTITION,
    DLQ_HEADER_SOURCE_TOPIC,
)


@dataclass(frozen=True)
class DeadLetter:
    kind: str
    consumer: str
    topic: str
    partition: int
    offset: int
    reason: str
    position: int | None = None
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default=())

    @property
    def to_topic(self) -> bool:
        return self.kind != "position_gap"

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        extra = {
            DLQ_HEADER_REASON: self.reason,
            DLQ_HEADER_SOURCE_TOPIC: self.topic,
            DLQ_HEADER_SOURCE_PARTITION: str(self.partition),
            DLQ_HEADER_SOURCE_OFFSET: str(self.offset),
            DLQ_HEADER_CONSUMER: self.consumer,
        }
        return [*self.headers, *((k, v.encode()) for k, v in extra.items())]


class DeadLetterPublisher(Protocol):
    async def publish(self, letter: DeadLetter) -> None: ...


async def record(conn: AsyncConnection, control: str, letter: DeadLetter) -> bool:
    """Insert the dead letter; False if it was already recorded (a redelivery or a rebuild)."""
    headers = [[k, v.decode("utf-8", "replace")] for k, v in letter.headers]
    row = (
        await conn.execute(
            text(
                f"INSERT INTO {control}.dead_letters (kind, consumer, source_topic, "
                "source_partition, source_offset, position, reason, record_key, record_value, "
                "record_headers) VALUES (:kind, :consumer, :topic, :partition, :offset, "
                ":position, :reason, :key, :value, CAST(:headers AS jsonb)) "
                "ON CONFLICT DO NOTHING RETURNING id"
            ),
            {
                "kind": letter.kind,
                "consumer": letter.consumer,
                "topic": letter.topic,
                "partition": letter.partition,
                "offset": letter.offset,
                "position": letter.position,
                "reason": letter.reason,
                "key": letter.key,
                "value": letter.value,
                "headers": json.dumps(headers),
            },
        )
    ).first()
    return row is not None


async def unacknowledged(conn: AsyncConnection, control: str) -> int:
    sql = f"SELECT count(*) FROM {control}.dead_letters WHERE acknowledged_at IS NULL"
    return int((await conn.execute(text(sql))).scalar_one())


async def listing(
    conn: AsyncConnection, control: str, include_acknowledged: bool
) -> list[dict[str, Any]]:
    where = "" if include_acknowledged else " WHERE acknowledged_at IS NULL"
    rows = await conn.execute(
        text(
            "SELECT id, kind, consumer, source_topic, source_partition, source_offset, position, "
            "reason, record_headers, created_at, acknowledged_at, acknowledged_by, "
            f"encode(record_value, 'escape') FROM {control}.dead_letters{where} ORDER BY id"
        )
    )
    names = (
        "id kind consumer source_topic source_partition source_offset position reason headers "
        "created_at acknowledged_at acknowledged_by value"
    ).split()
    out = []
    for r in rows:
        item = dict(zip(names, r, strict=True))
        for key in ("created_at", "acknowledged_at"):
            item[key] = item[key].isoformat() if item[key] else None
        item["headers"] = (
            json.loads(item["headers"]) if isinstance(item["headers"], str) else item["headers"]
        )
        item["value"] = (item["value"] or "")[:2000]
        out.append(item)
    return out


async def acknowledge(conn: AsyncConnection, control: str, letter_id: int, by: str) -> bool:
    row = (
        await conn.execute(
            text(
                f"UPDATE {control}.dead_letters SET acknowledged_at = coalesce(acknowledged_at, "
                "now()), acknowledged_by = coalesce(acknowledged_by, :by) "
                "WHERE id = :id RETURNING id"
            ),
            {"id": letter_id, "by": by},
        )
    ).first()
    return row is not None
