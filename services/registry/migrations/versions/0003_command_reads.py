"""A command's reads in one round trip: its idempotency key, its stream locks, its streams.

``command_reads`` looks up the stored answer of an Idempotency-Key, takes the advisory locks in
key order, then reads the streams. Each statement of a plpgsql function takes a fresh snapshot
under READ COMMITTED, so the streams are read *after* the locks are held: whatever a lock
holder committed is visible, as when the locks and the reads were separate statements.

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


def _statement(s: str) -> str:
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
    op.execute(_statement(op.get_context().opts["version_table_schema"]))


def downgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.command_reads(text, text[], boolean[], text[])")
