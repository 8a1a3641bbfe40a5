"""The command statements take their values by name (``jsonb``) instead of in parallel arrays,
and stream locks are taken by one function, ``lock_streams``
(sql/0004_command_statements_by_name.sql, sql/0004_command_reads.sql,
sql/0004_append_command.sql)."""

from services.common.migrations import run_script, sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0004", "0003"
upgrade, drop = sql_revision(
    SQL,
    "0004_command_statements_by_name",
    upgrade_then=["0004_command_reads", "0004_append_command"],
)


def downgrade() -> None:
    drop()
    run_script(SQL / "0003_command_statements.sql")
