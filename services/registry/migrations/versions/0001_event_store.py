"""Event store, sequencer and relay state, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_COLUMNS = (
    "id, stream_id, stream_version, event_id, event_type, schema_version, payload, recorded_at"
)


def _statements(s: str) -> list[str]:
    new_cols = ", ".join(f"NEW.{c.strip()}" for c in _COLUMNS.split(","))
    old_cols = ", ".join(f"OLD.{c.strip()}" for c in _COLUMNS.split(","))
    return [
        f"""
        CREATE TABLE {s}.events (
            id bigserial NOT NULL,
            stream_id text NOT NULL,
            stream_version integer NOT NULL CHECK (stream_version >= 1),
            event_id uuid NOT NULL,
            event_type text NOT NULL,
            schema_version integer NOT NULL,
            payload jsonb NOT NULL,
            recorded_at timestamptz NOT NULL,
            position bigint,
            CONSTRAINT events_pkey PRIMARY KEY (stream_id, stream_version),
            CONSTRAINT events_id_key UNIQUE (id),
            CONSTRAINT events_event_id_key UNIQUE (event_id),
            CONSTRAINT events_position_key UNIQUE (position),
            CONSTRAINT events_position_positive CHECK (position >= 1)
        )""",
        f"CREATE INDEX events_pending_idx ON {s}.events (id) WHERE position IS NULL",
        f"""
        CREATE TABLE {s}.sequencer_state (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last_position bigint NOT NULL
        )""",
        f"INSERT INTO {s}.sequencer_state (last_position) VALUES (0)",
        f"""
        CREATE TABLE {s}.relay_state (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last_published bigint NOT NULL
        )""",
        f"INSERT INTO {s}.relay_state (last_published) VALUES (0)",
        f"""
        CREATE TABLE {s}.idempotency_keys (
            key text PRIMARY KEY,
            request_hash text NOT NULL,
            status_code integer NOT NULL,
            body jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"""
        CREATE FUNCTION {s}.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                IF OLD.position IS NULL AND NEW.position IS NOT NULL
                   AND ({new_cols}) IS NOT DISTINCT FROM ({old_cols}) THEN
                    RETURN NEW;
                END IF;
            END IF;
            RAISE EXCEPTION 'events are append-only: % refused on %.%',
                TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                USING HINT = 'only the sequencer may set position, once, from NULL';
        END
        $$""",
        f"""
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {s}.events
            FOR EACH ROW EXECUTE FUNCTION {s}.events_append_only()""",
        f"""
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {s}.events
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.events_append_only()""",
    ]


def upgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    for statement in _statements(schema):
        op.execute(statement)


def downgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    for table in ("idempotency_keys", "relay_state", "sequencer_state", "events"):
        op.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.events_append_only()")
