"""Reads the pages need beyond the JSON API's, over the same stored events and bound:
:class:`~..service_layer.pages.PageReads` in PostgreSQL.

Each runs on the request's snapshot connection (one REPEATABLE READ transaction), so what it
finds agrees with the views it is shown beside.
"""

from __future__ import annotations

from datetime import datetime

from pydantic_core import from_json
from sqlalchemy import text

from schemas.streams import PREFIXES, organisation_stream
from services.projections.adapters.snapshots import PostgresSnapshot
from services.projections.adapters.store import FACTS, bound_sql
from services.projections.domain.views import HistoryEntry
from services.projections.service_layer.ports import Bound, SnapshotReads

_REC = PREFIXES["recommendations"]


class PostgresPageReads:
    """The page reads of one PostgreSQL snapshot."""

    def __init__(self, snapshot: SnapshotReads) -> None:
        if not isinstance(snapshot, PostgresSnapshot):
            raise TypeError(f"page reads need a PostgreSQL snapshot, not {snapshot!r}")
        self.conn, self.schema = snapshot.conn, snapshot.schema

    async def last_recorded(self, position: int) -> datetime | None:
        sql = (
            f"SELECT recorded_at FROM {self.schema}.events WHERE position <= :p "
            "ORDER BY position DESC LIMIT 1"
        )
        found = (await self.conn.execute(text(sql), {"p": position})).scalar()
        return found if isinstance(found, datetime) else None

    async def organisation_events(self, org_ids: set[str], bound: Bound) -> list[HistoryEntry]:
        where, params = bound_sql(bound)
        sql = (
            "SELECT position, coalesce(fact, payload)->>'type', stream_id, stream_version, "
            f"occurred_at, recorded_at, coalesce(fact, payload)::text FROM {self.schema}.events "
            f"WHERE stream_id = ANY(:streams) AND {FACTS}{where} ORDER BY position"
        )
        streams = sorted(organisation_stream(i) for i in org_ids)
        rows = await self.conn.execute(text(sql), {"streams": streams, **params})
        return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], from_json(r[6])) for r in rows]

    async def review_organisations(self, review_id: str, bound: Bound) -> set[str]:
        where, params = bound_sql(bound)
        schema = self.schema
        sql = (
            f"WITH recs AS (SELECT DISTINCT substr(stream_id, {len(_REC) + 1}) AS id "
            f"FROM {schema}.events WHERE payload->>'review_id' = :r "
            f"AND stream_id LIKE '{_REC}%' AND {FACTS}{where}) "
            f"SELECT DISTINCT unnest(org_ids) FROM {schema}.events "
            f"WHERE (rec_ids && ARRAY(SELECT id FROM recs) OR payload->>'review_id' = :r) "
            f"AND {FACTS}{where}"
        )
        rows = await self.conn.execute(text(sql), {"r": review_id, **params})
        return {str(r[0]) for r in rows}
