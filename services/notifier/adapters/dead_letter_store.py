"""Dead letters as operators see them: list, count the unacknowledged, acknowledge.

Field names are the projections service's (``source_offset``, ``acknowledged_at``...), so one
client reads both services' dead letters alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_COLUMNS = (
    'id, kind, topic AS source_topic, partition AS source_partition, "offset" AS source_offset, '
    "position, reason, created_at, acknowledged_at, acknowledged_by, "
    "encode(substring(value FROM 1 FOR 2000), 'escape') AS value"
)


class DeadLetterStore:
    def __init__(self, engine: AsyncEngine, schema: str, consumer: str) -> None:
        self.engine, self.s, self.consumer = engine, schema, consumer

    async def listing(self, include_acknowledged: bool) -> list[dict[str, Any]]:
        where = "" if include_acknowledged else " WHERE acknowledged_at IS NULL"
        sql = f"SELECT {_COLUMNS} FROM {self.s}.dead_letters{where} ORDER BY id"
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text(sql))).mappings().all()
        return [{**row, "consumer": self.consumer} for row in rows]

    async def unacknowledged(self) -> int:
        sql = f"SELECT count(*) FROM {self.s}.dead_letters WHERE acknowledged_at IS NULL"
        async with self.engine.connect() as conn:
            return int((await conn.execute(text(sql))).scalar_one())

    async def acknowledge(self, letter_id: int, by: str) -> bool:
        """Idempotent: the first acknowledgement's time and author are kept."""
        sql = (
            f"UPDATE {self.s}.dead_letters SET acknowledged_at = coalesce(acknowledged_at, "
            "now()), acknowledged_by = coalesce(acknowledged_by, :by) WHERE id = :id RETURNING id"
        )
        async with self.engine.begin() as conn:
            row = (await conn.execute(text(sql), {"id": letter_id, "by": by})).first()
        return row is not None
