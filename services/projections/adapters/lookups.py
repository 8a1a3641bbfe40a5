"""Targeted reads: the documents a view needs (current), or the streams and events that make
them up to a bound (as of), each step of a plan in one round trip; the board's page and the
review summary's counts as single indexed queries.

Answering a lookup from the stored events relies on :mod:`~services.projections.domain.refs`:
an event that sets an organisation-valued field of a document names that organisation in its
``org_ids``; one that sets a recommendation's ``parent_id`` or ``cross_references`` names them
in its ``rec_ids``; one that sets ``review_id`` carries it in its payload. The equivalence tests
(tests/integration/projections/test_targeted_reads.py) hold this to account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.streams import PREFIXES
from services.projections.adapters.schema import ARRAY_COLUMNS
from services.projections.adapters.store import bound_sql, doc_class, facts_until
from services.projections.domain.model import Doc, World
from services.projections.domain.needs import ALL, Lookup
from services.projections.domain.views import Counts
from services.projections.service_layer.ports import Bound, Facts

_EVENT_CONDITION = {
    ("organisations", "parent_id"): "org_ids && CAST(:{p} AS text[])",
    ("recommendations", "org_ids"): "org_ids && CAST(:{p} AS text[])",
    ("responsibilities", "org_ids"): "org_ids && CAST(:{p} AS text[])",
    ("actions", "owner_id"): "org_ids && CAST(:{p} AS text[])",
    ("actions", "org_ids"): "org_ids && CAST(:{p} AS text[])",
    ("recommendations", "parent_id"): "rec_ids && CAST(:{p} AS text[])",
    ("recommendations", "cross_references"): "rec_ids && CAST(:{p} AS text[])",
    ("recommendations", "review_id"): "payload->>'review_id' = ANY(:{p})",
}
"""Events that may set a filter column; a field not listed falls back to every stream of the
kind (a superset: the fold and the view decide)."""


def _parse(cls: type[Doc], raw: Any) -> Doc:
    """A document from ``doc::text`` (parsed once, by pydantic's own JSON parser)."""
    return cls.model_validate_json(raw) if isinstance(raw, str | bytes) else cls.model_validate(raw)


def _doc_condition(lookup: Lookup, p: str) -> str:
    if lookup.field == ALL:
        return "true"
    if lookup.field in ARRAY_COLUMNS:
        return f"{lookup.field} && CAST(:{p} AS text[])"
    return f"{lookup.field} = ANY(:{p})"


async def fetch(conn: AsyncConnection, schema: str, lookups: list[Lookup], world: World) -> None:
    """Add the current documents the lookups find to ``world`` (one query for all of them)."""
    parts, params = [], {}
    for i, lookup in enumerate(lookups):
        values = lookup.values
        if lookup.field == "id":
            values = values - getattr(world, lookup.kind).keys()
        if lookup.field != ALL and not values:
            continue
        params[f"v{i}"] = sorted(values)
        where = _doc_condition(lookup, f"v{i}")
        parts.append(f"SELECT {i} AS q, doc::text FROM {schema}.{lookup.kind} WHERE {where}")
    if not parts:
        return
    for q, raw in await conn.execute(text(" UNION ALL ".join(parts)), params):
        kind = lookups[q].kind
        doc = _parse(doc_class(kind), raw)
        getattr(world, kind).setdefault(doc.id, doc)


async def streams(
    conn: AsyncConnection, schema: str, lookups: list[Lookup], bound: Bound
) -> set[str]:
    """Streams (up to ``bound``) whose documents may be what the lookups look for."""
    found: set[str] = set()
    parts, (bound_where, params) = [], bound_sql(bound)
    for i, lookup in enumerate(lookups):
        prefix = PREFIXES[lookup.kind]
        if lookup.field == "id":
            found |= {prefix + v for v in lookup.values}
            continue
        if lookup.field != ALL and not lookup.values:
            continue
        where = f"stream_id LIKE '{prefix}%'"
        condition = _EVENT_CONDITION.get((lookup.kind, lookup.field))
        if condition is not None:
            params[f"v{i}"] = sorted(lookup.values)
            where += f" AND {condition.format(p=f'v{i}')}"
        parts.append(f"SELECT stream_id FROM {schema}.events WHERE {where}{bound_where}")
    if parts:
        rows = await conn.execute(text(" UNION ".join(parts)), params)
        found |= {str(r[0]) for r in rows}
    return found


async def stream_facts(
    conn: AsyncConnection, schema: str, stream_ids: set[str], bound: Bound
) -> Facts:
    """The facts of ``stream_ids`` within ``bound``, their corrections, their valid time."""
    return await facts_until(conn, schema, bound, stream_ids)


async def board_page(
    conn: AsyncConnection, schema: str, filters: dict[str, str | None], limit: int, offset: int
) -> World:
    """Top-level recommendations matching ``filters`` (review_id, response_kind,
    delivery_status, organisation), in board order, one page."""
    where = ["board_key IS NOT NULL"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    for column, value in filters.items():
        if value is None:
            continue
        params[column] = value
        if column == "organisation":
            where.append("org_ids @> ARRAY[CAST(:organisation AS text)]")
        else:
            where.append(f"{column} = :{column}")
    sql = (
        f"SELECT doc::text FROM {schema}.recommendations WHERE {' AND '.join(where)} "
        'ORDER BY board_key COLLATE "C" LIMIT :limit OFFSET :offset'
    )
    world = World()
    for (raw,) in await conn.execute(text(sql), params):
        doc = _parse(doc_class("recommendations"), raw)
        world.recommendations[doc.id] = doc  # type: ignore[assignment]
    return world


async def board_counts(conn: AsyncConnection, schema: str, review_id: str) -> Counts:
    """:func:`views.board_counts` as one GROUP BY over the columns the store derives from it."""
    sql = (
        f"SELECT response_kind, delivery_status, count(*) FROM {schema}.recommendations "
        "WHERE review_id = :review AND board_key IS NOT NULL "
        "GROUP BY response_kind, delivery_status"
    )
    rows = await conn.execute(text(sql), {"review": review_id})
    return {(str(kind), str(status)): int(n) for kind, status, n in rows}
