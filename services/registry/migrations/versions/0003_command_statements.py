"""A command in two statements, ``command_reads`` and ``append_command``, with parallel arrays
(sql/0003_command_statements.sql; replaced by 0004)."""

from services.common.migrations import sql_revision
from services.registry.migrations import SQL

revision, down_revision = "0003", "0002"
upgrade, downgrade = sql_revision(SQL, "0003_command_statements")
