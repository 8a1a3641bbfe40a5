"""Group commit: a batch of commands read and appended in one statement each, and no NOTIFY on
append (sql/0006_group_commit.sql)."""

from services.common.migrations import sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0006", "0005"
upgrade, downgrade = sql_revision(
    SQL,
    "0006_group_commit",
    downgrade_then=["0005_command_reads", "0005_append_command", "0002_notify_appended"],
)
