"""DDL of the data schemas. Each (``<db_schema>_v<n>``) holds one complete read model; the
control schema (``db_schema``: pointer to the active one, dead letters) is migrated by Alembic
(``services/projections/migrations``). A read model is disposable, so its DDL is code, not a
migration: a new shape means a rebuild into a new version instead of migrating the old one.
:data:`SHAPE` numbers the DDL; a data schema records the shape it was built with, and one of an
older shape needs a rebuild (``/readyz`` says so).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

SHAPE = 3
"""1: first read model. 2: lookup columns (board_key, cross_references, responsibilities'
org_ids) and the indexes the per-view lookups use. 3: facts: valid-time bounds and
dependencies, corrections (retracted, the fact in place), actions' org_ids."""

DOC_COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("name", "kind", "status", "parent_id", "accountable_to_id"),
    "reviews": ("title",),
    "recommendations": (
        "review_id",
        "parent_id",
        "response_kind",
        "delivery_status",
        "org_ids",
        "cross_references",
        "board_key",
    ),
    "responsibilities": ("holder_id", "org_ids"),
    "actions": ("owner_id", "org_ids"),
}
ARRAY_COLUMNS = frozenset({"org_ids", "cross_references"})


def data_ddl(schema: str) -> list[str]:
    statements = [f"CREATE SCHEMA IF NOT EXISTS {schema}"]
    for table, columns in DOC_COLUMNS.items():
        extra = "".join(f", {c} {'text[]' if c in ARRAY_COLUMNS else 'text'}" for c in columns)
        statements.append(
            f"""CREATE TABLE IF NOT EXISTS {schema}.{table} (
                id text PRIMARY KEY, version integer NOT NULL, last_position bigint NOT NULL,
                doc jsonb NOT NULL{extra})"""
        )
    statements += [
        f"CREATE TABLE IF NOT EXISTS {schema}.shape (shape integer NOT NULL)",
        f"INSERT INTO {schema}.shape SELECT {SHAPE} WHERE NOT EXISTS (SELECT FROM {schema}.shape)",
        *_lookup_indexes(schema),
        f"""CREATE TABLE IF NOT EXISTS {schema}.events (
            position bigint PRIMARY KEY,
            event_id uuid NOT NULL UNIQUE,
            type text NOT NULL,
            stream_id text NOT NULL,
            stream_version integer NOT NULL,
            occurred_at timestamptz,
            recorded_at timestamptz NOT NULL,
            valid_lo timestamptz,
            valid_hi timestamptz NOT NULL,
            depends_on bigint[] NOT NULL,
            retracted boolean NOT NULL DEFAULT false,
            corrected_at bigint,
            fact jsonb,
            org_ids text[] NOT NULL,
            rec_ids text[] NOT NULL,
            payload jsonb NOT NULL,
            UNIQUE (stream_id, stream_version))""",
        f"CREATE INDEX IF NOT EXISTS ev_orgs ON {schema}.events USING gin (org_ids)",
        f"CREATE INDEX IF NOT EXISTS ev_recs ON {schema}.events USING gin (rec_ids)",
        f"CREATE INDEX IF NOT EXISTS ev_valid ON {schema}.events (valid_lo, position)",
        f"CREATE INDEX IF NOT EXISTS ev_depends ON {schema}.events USING gin (depends_on)",
        f"CREATE INDEX IF NOT EXISTS ev_stream ON {schema}.events "
        "(stream_id text_pattern_ops, position)",
        f"CREATE INDEX IF NOT EXISTS ev_review ON {schema}.events ((payload->>'review_id'))",
        f"""CREATE TABLE IF NOT EXISTS {schema}.checkpoint (
            topic text NOT NULL, partition integer NOT NULL,
            kafka_offset bigint NOT NULL, position bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (topic, partition))""",
    ]
    return statements


def _lookup_indexes(schema: str) -> list[str]:
    """Indexes of the per-view lookups (:mod:`~services.projections.domain.needs`)."""
    indexes = {
        "org_parent": "organisations (parent_id)",
        "org_kind": "organisations (kind)",
        "rec_review": "recommendations (review_id)",
        "rec_parent": "recommendations (parent_id)",
        "rec_orgs": "recommendations USING gin (org_ids)",
        "rec_xrefs": "recommendations USING gin (cross_references)",
        "rec_board": 'recommendations (board_key COLLATE "C") WHERE board_key IS NOT NULL',
        "rec_board_review": 'recommendations (review_id, board_key COLLATE "C") '
        "WHERE board_key IS NOT NULL",
        "rec_summary": "recommendations (review_id, response_kind, delivery_status) "
        "WHERE board_key IS NOT NULL",
        "resp_orgs": "responsibilities USING gin (org_ids)",
        "action_owner": "actions (owner_id)",
        "action_orgs": "actions USING gin (org_ids)",
    }
    return [f"CREATE INDEX IF NOT EXISTS {n} ON {schema}.{on}" for n, on in indexes.items()]


async def execute_all(conn: AsyncConnection, statements: list[str]) -> None:
    for statement in statements:
        await conn.execute(text(statement))
