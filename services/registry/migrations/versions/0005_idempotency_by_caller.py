"""Idempotency-Keys scoped by caller: kept answers keyed by (caller, key), the keys stored before
given to the subject their events name as actor (sql/0005_idempotency_by_caller.sql,
sql/0005_command_reads.sql, sql/0005_append_command.sql)."""

from services.common.migrations import sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0005", "0004"
upgrade, downgrade = sql_revision(
    SQL,
    "0005_idempotency_by_caller",
    upgrade_then=["0005_command_reads", "0005_append_command"],
    downgrade_then=["0004_command_reads", "0004_append_command"],
)
