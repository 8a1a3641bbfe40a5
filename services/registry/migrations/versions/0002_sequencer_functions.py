"""Sequencing in one round trip, and the append notification in a trigger.

The sequencer batch (lock, assign in insertion order, move ``last_position``, notify) becomes the
function ``sequence_batch``; ``positions_of`` reads the positions of some events and, if any is
still missing, runs a batch first unless another session is running one. A statement trigger on
``events`` sends the ``remit_appended`` notification, so writers need no extra statement.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _statements(s: str) -> list[str]:
    return [
        f"""
        CREATE FUNCTION {s}.sequence_batch(lim integer, lock_key bigint, wait boolean)
        RETURNS TABLE (assigned bigint, last_position bigint) LANGUAGE plpgsql AS $$
        DECLARE
            n bigint;
            last bigint;
        BEGIN
            IF wait THEN
                PERFORM pg_advisory_xact_lock(lock_key);
            ELSIF NOT pg_try_advisory_xact_lock(lock_key) THEN
                RETURN;
            END IF;
            -- A position, once seen, must survive a crash: never commit this asynchronously.
            PERFORM set_config('synchronous_commit', 'on', true);
            WITH ready AS (
                SELECT e.id, row_number() OVER (ORDER BY e.id) AS k
                FROM {s}.events e WHERE e.position IS NULL ORDER BY e.id LIMIT lim
            ), given AS (
                UPDATE {s}.events e SET position = st.last_position + r.k
                FROM ready r, {s}.sequencer_state st
                WHERE e.id = r.id
                RETURNING e.position
            )
            UPDATE {s}.sequencer_state
            SET last_position = {s}.sequencer_state.last_position + (SELECT count(*) FROM given)
            RETURNING (SELECT count(*) FROM given), {s}.sequencer_state.last_position
            INTO n, last;
            IF n > 0 THEN
                PERFORM pg_notify('remit_sequenced', last::text);
            END IF;
            RETURN QUERY SELECT n, last;
        END
        $$""",
        f"""
        CREATE FUNCTION {s}.positions_of(ids uuid[], lim integer, lock_key bigint)
        RETURNS TABLE (event_id uuid, pos bigint) LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM {s}.events e WHERE e.event_id = ANY(ids) AND e.position IS NULL
            ) THEN
                PERFORM * FROM {s}.sequence_batch(lim, lock_key, false);
            END IF;
            RETURN QUERY
                SELECT e.event_id, e.position FROM {s}.events e
                WHERE e.event_id = ANY(ids) AND e.position IS NOT NULL;
        END
        $$""",
        f"""
        CREATE FUNCTION {s}.notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('remit_appended', TG_TABLE_SCHEMA);
            RETURN NULL;
        END
        $$""",
        f"""
        CREATE TRIGGER events_notify_appended AFTER INSERT ON {s}.events
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_appended()""",
    ]


def upgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    for statement in _statements(schema):
        op.execute(statement)


def downgrade() -> None:
    schema = op.get_context().opts["version_table_schema"]
    op.execute(f"DROP TRIGGER IF EXISTS events_notify_appended ON {schema}.events")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.notify_appended()")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.positions_of(uuid[], integer, bigint)")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.sequence_batch(integer, bigint, boolean)")
