"""Reads the pages need beyond the JSON API's, over the same stored events and bound.

Each takes the request's snapshot connection (one REPEATABLE READ transaction), so what it
finds agrees with the views it is shown beside.
"""

from __future__ import annotations

from datetime import datetime

from pydantic_core import from_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.projections.adapters.store import Bound, bound_sql
from services.projections.domain.views import HistoryEntry

_REC = "recommendation-"


async def last_recorded(conn: AsyncConnection, schema: str, position: int) -> datetime | None:
    """When the event at or before ``position`` was recorded (how fresh an answer is)."""
    sql = (
        f"SELECT recorded_at FROM {schema}.events WHERE position <= :p "
        "ORDER BY position DESC LIMIT 1"
    )
    found = (await conn.execute(text(sql), {"p": position})).scalar()
    return found if isinstance(found, datetime) else None


async def organisation_events(
    conn: AsyncConnection, schema: str, org_ids: set[str], bound: Bound
) -> list[HistoryEntry]:
    """The events of these bodies' own streams (registered, renamed, merged, dissolved,
    accountable to), up to ``bound``, in position order."""
    where, params = bound_sql(bound)
    sql = (
        "SELECT position, type, stream_id, stream_version, occurred_at, recorded_at, "
        f"payload::text FROM {schema}.events WHERE stream_id = ANY(:streams){where} "
        "ORDER BY position"
    )
    streams = sorted(f"organisation-{i}" for i in org_ids)
    rows = await conn.execute(text(sql), {"streams": streams, **params})
    return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], from_json(r[6])) for r in rows]


async def review_organisations(
    conn: AsyncConnection, schema: str, review_id: str, bound: Bound
) -> set[str]:
    """Every body an event of the review, or of one of its recommendations, names (up to
    ``bound``): leads and supporters, bodies merged, dissolved or made accountable by its
    recommendations, holders its hand-overs moved between, owners of its actions."""
    where, params = bound_sql(bound)
    sql = (
        f"WITH recs AS (SELECT DISTINCT substr(stream_id, {len(_REC) + 1}) AS id "
        f"FROM {schema}.events WHERE payload->>'review_id' = :r "
        f"AND stream_id LIKE '{_REC}%'{where}) "
        f"SELECT DISTINCT unnest(org_ids) FROM {schema}.events "
        f"WHERE (rec_ids && ARRAY(SELECT id FROM recs) OR payload->>'review_id' = :r){where}"
    )
    rows = await conn.execute(text(sql), {"r": review_id, **params})
    return {str(r[0]) for r in rows}
