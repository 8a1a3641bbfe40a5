"""A command in two statements: ``command_reads`` before the decision, ``append_command`` after.

``command_reads`` looks up the stored answer of an Idempotency-Key, takes the advisory locks it
is given in key order, then reads the streams. ``append_command`` takes shared locks in key
order, checks that the streams the decision relied on are still at the versions it saw (else
SQLSTATE 40001: decide again), then inserts the events, in array order, and the idempotent
answer. Each statement of a plpgsql function takes a fresh snapshot under READ COMMITTED, so
what follows a lock sees whatever the lock's previous holder committed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _statements(s: str) -> list[str]:
    return [_reads(s), _append(s)]


def _append(s: str) -> str:
    return f"""
        CREATE FUNCTION {s}.append_command(
            lock_keys text[], checked_streams text[], checked_versions integer[],
            streams text[], versions integer[], ids uuid[], types text[],
            schema_versions integer[], payloads text[], recorded timestamptz[],
            idempotency_key text, request_hash text, status_code integer, body jsonb
        ) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            k text;
            stale text;
        BEGIN
            FOR k IN SELECT DISTINCT u.k FROM unnest(lock_keys) AS u(k) ORDER BY u.k LOOP
                PERFORM pg_advisory_xact_lock_shared(hashtextextended(k, 0));
            END LOOP;
            SELECT c.s INTO stale FROM unnest(checked_streams, checked_versions) AS c(s, v)
            WHERE coalesce((SELECT max(e.stream_version) FROM {s}.events e
                            WHERE e.stream_id = c.s), 0) <> c.v
            LIMIT 1;
            IF stale IS NOT NULL THEN
                RAISE EXCEPTION 'stream % changed after it was read', stale
                    USING ERRCODE = 'serialization_failure';
            END IF;
            INSERT INTO {s}.events (stream_id, stream_version, event_id, event_type,
                                    schema_version, payload, recorded_at)
            SELECT u.s, u.v, u.i, u.t, u.sv, u.p::jsonb, u.r
            FROM unnest(streams, versions, ids, types, schema_versions, payloads, recorded)
                WITH ORDINALITY AS u(s, v, i, t, sv, p, r, n)
            ORDER BY u.n;
            IF idempotency_key IS NOT NULL THEN
                INSERT INTO {s}.idempotency_keys (key, request_hash, status_code, body)
                VALUES (idempotency_key, request_hash, status_code, body);
            END IF;
        END
        $$"""


def _reads(s: str) -> str:
    return f"""
        CREATE FUNCTION {s}.command_reads(
            idempotency_key text, lock_keys text[], lock_exclusive boolean[], streams text[]
        ) RETURNS TABLE (read_stream text, read_payload jsonb) LANGUAGE plpgsql AS $$
        DECLARE
            k text;
            x boolean;
        BEGIN
            RETURN QUERY
                SELECT NULL::text, jsonb_build_object(
                    'request_hash', i.request_hash, 'status_code', i.status_code, 'body', i.body)
                FROM {s}.idempotency_keys i WHERE i.key = idempotency_key;
            FOR k, x IN
                SELECT u.k, u.x FROM unnest(lock_keys, lock_exclusive) AS u(k, x) ORDER BY u.k
            LOOP
                IF x THEN
                    PERFORM pg_advisory_xact_lock(hashtextextended(k, 0));
                ELSE
                    PERFORM pg_advisory_xact_lock_shared(hashtextextended(k, 0));
                END IF;
            END LOOP;
            RETURN QUERY
                SELECT e.stream_id, e.payload FROM {s}.events e
                WHERE e.stream_id = ANY(streams) ORDER BY e.stream_id, e.stream_version;
        END
        $$"""


def upgrade() -> None:
    for statement in _statements(op.get_context().opts["version_table_schema"]):
        op.execute(statement)


def downgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.command_reads(text, text[], boolean[], text[])")
    op.execute(
        f"DROP FUNCTION IF EXISTS {schema}.append_command(text[], text[], integer[], text[],"
        " integer[], uuid[], text[], integer[], text[], timestamptz[], text, text, integer, jsonb)"
    )
