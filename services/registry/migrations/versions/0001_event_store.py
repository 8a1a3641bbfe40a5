"""Event store, sequencer and relay state, idempotency keys (sql/0001_event_store.sql)."""

from services.common.migrations import sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0001", None
upgrade, downgrade = sql_revision(SQL, "0001_event_store")
