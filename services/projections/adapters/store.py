"""The PostgreSQL read-model store: documents, stored events, checkpoint, pointer.

Every function takes an open connection so the caller owns the transaction (one per batch for
the consumer, one REPEATABLE READ READ ONLY per request for readers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.upcasting import decode
from schemas.wire import PositionedEvent
from services.projections.adapters.driver import Conn, raw
from services.projections.adapters.schema import DOC_COLUMNS, data_ddl, execute_all
from services.projections.domain.fold import Corrected, Placement
from services.projections.domain.model import DOC_CLASSES, KINDS, Doc, World
from services.projections.domain.needs import filter_values
from services.projections.domain.refs import (
    Refs,
    concerned_organisations,
    concerned_recommendations,
)
from services.projections.domain.validity import Valid, lower
from services.projections.domain.views import HistoryEntry
from services.projections.migrations import migrate
from services.projections.service_layer.ports import Bound, Checkpoint, Facts


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def doc_class(kind: str) -> type[Doc]:
    return DOC_CLASSES[kind]


async def ensure(engine: AsyncEngine, control: str) -> str:
    """Migrate the control schema and create a first (empty) data schema if there is none;
    return the active one."""
    await migrate(engine.url.render_as_string(hide_password=False), control)
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:control))"), {"control": control}
        )
        row = (await conn.execute(text(f"SELECT data_schema FROM {control}.active"))).first()
        if row is not None:
            return str(row[0])
        schema = f"{control}_v1"
        await execute_all(conn, data_ddl(schema))
        await conn.execute(
            text(f"INSERT INTO {control}.active (data_schema, version) VALUES (:schema, 1)"),
            {"schema": schema},
        )
        return schema


async def active_schema(conn: AsyncConnection, control: str, lock: str = "") -> str:
    """The data schema readers and the consumer use; ``lock`` is '', 'SHARE' or 'UPDATE'."""
    suffix = f" FOR {lock}" if lock else ""
    row = (await conn.execute(text(f"SELECT data_schema FROM {control}.active{suffix}"))).one()
    return str(row[0])


async def shape(conn: AsyncConnection, schema: str) -> int:
    """The DDL shape ``schema`` was built with (1 for those made before shapes were recorded)."""
    found = await conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{schema}.shape"})
    if found.scalar() is None:
        return 1
    return int((await conn.execute(text(f"SELECT shape FROM {schema}.shape"))).scalar_one())


def _load_sql(schema: str) -> str:
    return " UNION ALL ".join(
        f"SELECT {i}, doc::text FROM {schema}.{kind} WHERE id = ANY(${i + 1}::text[])"
        for i, kind in enumerate(KINDS)
    )


async def load(conn: Conn, schema: str, wanted: Refs | None = None) -> World:
    """The documents named by ``wanted`` (one statement, the same text whatever is named), or
    all of them."""
    db = await raw(conn)
    world = World()
    if wanted is None:
        for kind in KINDS:
            cls = doc_class(kind)
            for (doc,) in await db.fetch(f"SELECT doc::text FROM {schema}.{kind}"):
                parsed = cls.model_validate_json(doc)
                getattr(world, kind)[parsed.id] = parsed
        return world
    if not any(wanted.get(kind) for kind in KINDS):
        return world
    ids = [sorted(wanted.get(kind, ())) for kind in KINDS]
    for i, doc in await db.fetch(_load_sql(schema), *ids):
        parsed = DOC_CLASSES[KINDS[i]].model_validate_json(doc)
        getattr(world, KINDS[i])[parsed.id] = parsed
    return world


def doc_row(kind: str, doc: Doc) -> dict[str, Any]:
    """The table row of a document: its columns by name, ``doc`` as JSON text."""
    row: dict[str, Any] = {
        "id": doc.id,
        "version": doc.version,
        "last_position": doc.last_position,
        "doc": doc.model_dump_json(),
    }
    computed = filter_values(kind, doc)
    for column in DOC_COLUMNS[kind]:
        row[column] = computed[column] if column in computed else getattr(doc, column, None)
    return row


def _upsert_sql(schema: str, kind: str) -> tuple[str, tuple[str, ...]]:
    columns = ("id", "version", "last_position", "doc", *DOC_COLUMNS[kind])
    values = ", ".join(
        f"CAST(${i} AS jsonb)" if c == "doc" else f"${i}" for i, c in enumerate(columns, 1)
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
    sql = (
        f"INSERT INTO {schema}.{kind} ({', '.join(columns)}) VALUES ({values}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )
    return sql, columns


async def save(conn: Conn, schema: str, world: World, only: Refs | None = None) -> None:
    """Upsert the documents of ``world`` (those named by ``only``, if given), in bulk."""
    db = None
    for kind in KINDS:
        docs = getattr(world, kind)
        ids = sorted(docs) if only is None else sorted(i for i in only.get(kind, ()) if i in docs)
        if not ids:
            continue
        db = db or await raw(conn)
        sql, columns = _upsert_sql(schema, kind)
        rows = [doc_row(kind, docs[i]) for i in ids]
        await db.executemany(sql, [tuple(row[c] for c in columns) for row in rows])


EVENT_COLUMNS = (
    "position",
    "event_id",
    "type",
    "stream_id",
    "stream_version",
    "occurred_at",
    "recorded_at",
    "valid_lo",
    "valid_hi",
    "depends_on",
    "org_ids",
    "rec_ids",
    "payload",
)


def event_row(p: PositionedEvent, placement: Placement | None) -> tuple[Any, ...]:
    """The ``events`` row of ``p``, in :data:`EVENT_COLUMNS` order (``payload`` as JSON text).
    A correction is not a fact: no placement, no dependencies, held since it was recorded."""
    e = p.event
    return (
        p.position,
        e.event_id,
        e.type,
        e.stream_id,
        e.stream_version,
        e.occurred_at,
        e.recorded_at,
        placement.lo if placement else None,
        placement.hi if placement else e.recorded_at,
        list(placement.depends_on) if placement else [],
        concerned_organisations(e),
        concerned_recommendations(e),
        e.model_dump_json(),
    )


async def insert_events(conn: Conn, schema: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    values = ", ".join(
        f"CAST(${i} AS jsonb)" if c == "payload" else f"${i}"
        for i, c in enumerate(EVENT_COLUMNS, 1)
    )
    sql = f"INSERT INTO {schema}.events ({', '.join(EVENT_COLUMNS)}) VALUES ({values})"
    await (await raw(conn)).executemany(sql, rows)


Dated = Sequence[tuple[tuple[int, ...], datetime]]
"""Dated facts just placed, in position order: what each depends on, and its upper bound."""


async def tighten(conn: Conn, schema: str, dated: Dated) -> None:
    """Facts known to hold by their ``hi`` were just placed (in position order): whatever each
    depends on, directly or not, held by that ``hi`` too (``valid_hi`` lowered, as far back as
    it is higher), as :func:`~..domain.validity.lower` says.

    One fact: one recursive statement. Several: what each may reach is read in one recursive
    statement (from each fact's dependencies, on past a fact only while its stored bound is
    higher than that fact's ``hi``, as the fact's own walk would go: bounds only fall, so the
    walk in order never goes further), walked in memory in order, and what changed is written
    in one statement.
    """
    dated = [(deps, hi) for deps, hi in dated if deps]
    if not dated:
        return
    db = await raw(conn)
    if len(dated) == 1:
        await db.execute(_TIGHTEN_ONE.format(schema=schema), list(dated[0][0]), dated[0][1])
        return
    seeds = sorted({(p, hi) for deps, hi in dated for p in deps})
    rows = await db.fetch(
        _REACHABLE.format(schema=schema), [p for p, _ in seeds], [hi for _, hi in seeds]
    )
    changed = lower({int(r[0]): [r[1], r[2]] for r in rows}, dated)
    if changed:
        await db.execute(
            f"UPDATE {schema}.events e SET valid_hi = c.hi FROM "
            "unnest($1::bigint[], $2::timestamptz[]) AS c(position, hi) "
            "WHERE e.position = c.position",
            list(changed),
            list(changed.values()),
        )


_TIGHTEN_ONE = """WITH RECURSIVE up(position) AS (
        SELECT unnest($1::bigint[])
        UNION
        SELECT unnest(e.depends_on) FROM {schema}.events e JOIN up USING (position)
        WHERE e.valid_hi > $2)
    UPDATE {schema}.events SET valid_hi = $2
    WHERE position IN (SELECT position FROM up) AND valid_hi > $2"""
_REACHABLE = """WITH RECURSIVE up(position, hi) AS (
        SELECT * FROM unnest($1::bigint[], $2::timestamptz[])
        UNION
        SELECT unnest(e.depends_on), up.hi FROM {schema}.events e JOIN up USING (position)
        WHERE e.valid_hi > up.hi)
    SELECT position, valid_hi, depends_on FROM {schema}.events
    WHERE position IN (SELECT position FROM up)"""


async def stream_facts(conn: AsyncConnection, schema: str, stream_id: str) -> list[PositionedEvent]:
    """The stream's facts as corrected so far (each under its fact key), in stream order."""
    rows = await conn.execute(
        text(
            f"SELECT position, coalesce(fact, payload)::text FROM {schema}.events "
            "WHERE stream_id = :s AND NOT retracted AND type <> 'RecordsCorrected' "
            "ORDER BY stream_version"
        ),
        {"s": stream_id},
    )
    return [PositionedEvent(decode(from_json(raw)), int(pos)) for pos, raw in rows]


async def record_correction(
    conn: AsyncConnection, db: Conn, schema: str, corrected: Corrected
) -> None:
    """Store a correction: its own row; the facts it retracted marked so; every fact of the
    stream (folded again) with its content in place and its placement, no later than any fact
    that depends on it (a dated one elsewhere may have narrowed it). ``db`` is the asyncpg
    connection under ``conn`` (:mod:`.driver`), for the statements shared with the batch."""
    correction, before, after = corrected
    await insert_events(db, schema, [event_row(correction, None)])
    kept = {fact.position for fact, _ in after}
    gone = [fact.position for fact in before if fact.position not in kept]
    await conn.execute(
        text(
            f"UPDATE {schema}.events SET retracted = true, corrected_at = :at "
            "WHERE position = ANY(:gone)"
        ),
        {"at": correction.position, "gone": gone},
    )
    originals = {fact.position: fact.event.event_id for fact in before}
    rows = [
        {
            "position": fact.position,
            "fact": fact.event.model_dump_json(),
            "replaced": fact.event.event_id != originals.get(fact.position),
            "at": correction.position,
            "occurred": fact.event.occurred_at,
            "lo": placed.lo,
            "hi": placed.hi,
            "deps": list(placed.depends_on),
            "orgs": concerned_organisations(fact.event),
            "recs": concerned_recommendations(fact.event),
        }
        for fact, placed in after
    ]
    if rows:
        await conn.execute(
            text(
                f"UPDATE {schema}.events SET valid_lo = :lo, valid_hi = :hi, depends_on = :deps,"
                " fact = CASE WHEN :replaced THEN CAST(:fact AS jsonb) ELSE fact END,"
                " corrected_at = CASE WHEN :replaced THEN :at ELSE corrected_at END,"
                " occurred_at = CASE WHEN :replaced THEN :occurred ELSE occurred_at END,"
                " org_ids = ARRAY(SELECT DISTINCT unnest(org_ids || CAST(:orgs AS text[]))"
                " ORDER BY 1),"
                " rec_ids = ARRAY(SELECT DISTINCT unnest(rec_ids || CAST(:recs AS text[]))"
                " ORDER BY 1)"
                " WHERE position = :position"
            ),
            rows,
        )
    for fact, placed in reversed(after):  # latest first: a fact's dependants come after it
        found = await conn.execute(
            text(
                f"UPDATE {schema}.events SET valid_hi = least(:hi, (SELECT min(d.valid_hi)"
                f" FROM {schema}.events d WHERE d.depends_on @> ARRAY[CAST(:p AS bigint)]"
                " AND NOT d.retracted)) WHERE position = :p RETURNING valid_hi"
            ),
            {"hi": placed.hi, "p": fact.position},
        )
        await tighten(db, schema, [(placed.depends_on, found.scalar_one())])


async def validity(conn: Conn, schema: str, positions: set[int]) -> dict[int, Valid]:
    """The valid time of the facts at ``positions`` (fact keys)."""
    if not positions:
        return {}
    rows = await (await raw(conn)).fetch(
        f"SELECT position, occurred_at, valid_lo, valid_hi FROM {schema}.events "
        "WHERE position = ANY($1::bigint[])",
        sorted(positions),
    )
    return {int(r[0]): Valid(r[1], r[2], r[3]) for r in rows}


async def get_checkpoint(conn: Conn, schema: str, topic: str, partition: int) -> Checkpoint:
    """The partition's checkpoint, locked until the transaction ends: two consumers that
    overlap on a partition (a rebalance, two replicas) take turns instead of both applying the
    same batch and dead-lettering the loser's duplicates."""
    row = await (await raw(conn)).fetchrow(
        f"INSERT INTO {schema}.checkpoint (topic, partition, kafka_offset, position) "
        "VALUES ($1, $2, -1, 0) ON CONFLICT (topic, partition) DO UPDATE SET "
        # a no-op update: it locks the row like FOR UPDATE and returns it, in one trip
        "topic = EXCLUDED.topic RETURNING kafka_offset, position",
        topic,
        partition,
    )
    return Checkpoint(topic, partition, int(row[0]), int(row[1]))


async def put_checkpoint(conn: Conn, schema: str, cp: Checkpoint) -> None:
    await (await raw(conn)).execute(
        f"INSERT INTO {schema}.checkpoint (topic, partition, kafka_offset, position) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (topic, partition) "
        "DO UPDATE SET kafka_offset = EXCLUDED.kafka_offset, position = EXCLUDED.position, "
        "updated_at = now()",
        cp.topic,
        cp.partition,
        cp.offset,
        cp.position,
    )


async def position(conn: AsyncConnection, schema: str) -> int:
    """The last position applied (one partition: the highest contiguous one)."""
    row = (await conn.execute(text(f"SELECT max(position) FROM {schema}.checkpoint"))).one()
    return int(row[0] or 0)


def bound_sql(bound: Bound) -> tuple[str, dict[str, Any]]:
    """Facts within a bound: up to a position (corrections apply at every position), or that
    may hold at a moment (their lower bound is not after it)."""
    if bound.position is not None:
        return " AND position <= :bound_pos", {"bound_pos": bound.position}
    if bound.as_of is not None:
        return " AND (valid_lo IS NULL OR valid_lo <= :bound_at)", {"bound_at": bound.as_of}
    return "", {}


async def history(
    conn: AsyncConnection, schema: str, column: str, entity_id: str, bound: Bound
) -> list[HistoryEntry]:
    """Stored events whose ``org_ids``/``rec_ids`` name ``entity_id``, in position order."""
    where, params = bound_sql(bound)
    sql = (
        "SELECT position, type, stream_id, stream_version, occurred_at, recorded_at, payload::text "
        f"FROM {schema}.events WHERE {column} @> ARRAY[CAST(:id AS text)]{where} ORDER BY position"
    )
    rows = await conn.execute(text(sql), {"id": entity_id, **params})
    return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], from_json(r[6])) for r in rows]


FACTS = "NOT retracted AND type <> 'RecordsCorrected'"
"""The rows that are facts (a correction's effect is in the rows it corrected)."""


async def facts_until(
    conn: AsyncConnection, schema: str, bound: Bound, streams: set[str] | None = None
) -> Facts:
    """Facts within ``bound`` (of ``streams``, or all), corrected; the corrections of those
    streams (whatever their position: they apply at every position); the facts' valid time."""
    where, params = bound_sql(bound)
    only = " AND stream_id = ANY(:streams)" if streams is not None else ""
    if streams is not None:
        params["streams"] = sorted(streams)
    rows = await conn.execute(
        text(
            "SELECT position, type = 'RecordsCorrected' AS correction, occurred_at, valid_lo,"
            f" valid_hi, coalesce(fact, payload)::text FROM {schema}.events"
            f" WHERE NOT retracted{only} AND (type = 'RecordsCorrected' OR (true{where}))"
            " ORDER BY position"
        ),
        params,
    )
    facts, corrections, valid = [], [], {}
    for pos, correction, occurred, lo, hi, text_ in rows:
        positioned = PositionedEvent(decode(from_json(text_)), int(pos))
        if correction:
            corrections.append(positioned)
        else:
            facts.append(positioned)
            valid[int(pos)] = Valid(occurred, lo, hi)
    return Facts(facts, corrections, valid)


async def checksum(conn: AsyncConnection, schema: str) -> str:
    """A deterministic SHA-256 over every read-model row (documents, events, position)."""
    digest = hashlib.sha256()
    for kind in KINDS:
        rows = await conn.execute(
            text(f"SELECT id, version, last_position, doc FROM {schema}.{kind} ORDER BY id")
        )
        for r in rows:
            doc = json.dumps(_json(r[3]), sort_keys=True)
            digest.update(f"{kind}|{r[0]}|{r[1]}|{r[2]}|{doc}\n".encode())
    rows = await conn.execute(
        text(
            "SELECT position, event_id, stream_id, stream_version, payload, org_ids, rec_ids,"
            " valid_lo, valid_hi, depends_on, retracted, corrected_at, fact"
            f" FROM {schema}.events ORDER BY position"
        )
    )
    for r in rows:
        payload = json.dumps(_json(r[4]), sort_keys=True)
        fact = json.dumps(_json(r[12]), sort_keys=True) if r[12] is not None else ""
        digest.update(
            f"events|{r[0]}|{r[1]}|{r[2]}|{r[3]}|{payload}|{r[5]}|{r[6]}|{r[7]}|{r[8]}|"
            f"{r[9]}|{r[10]}|{r[11]}|{fact}\n".encode()
        )
    digest.update(f"position|{await position(conn, schema)}".encode())
    return digest.hexdigest()
