"""Event store, sequencer and relay state, idempotency keys (sql/0001_event_store.sql)."""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.registry.migrations import SQL

revision = "0001"
down_revision = None


def upgrade() -> None:
    run_script(SQL / "0001_event_store.sql")


def downgrade() -> None:
    for table in ("idempotency_keys", "relay_state", "sequencer_state", "events"):
        op.execute(f"DROP TABLE IF EXISTS {schema()}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {schema()}.events_append_only()")
