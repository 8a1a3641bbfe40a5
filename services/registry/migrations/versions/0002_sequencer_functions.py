"""Sequencing in one round trip (``sequence_batch``, ``positions_of``), and the append
notification in a trigger (sql/0002_sequencer.sql, sql/0002_notify_appended.sql)."""

from services.common.migrations import sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0002", "0001"
upgrade, downgrade = sql_revision(SQL, "0002_sequencer", upgrade_then=["0002_notify_appended"])
