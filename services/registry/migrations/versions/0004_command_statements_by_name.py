"""The command statements take their values by name (``jsonb``) instead of in parallel arrays,
and stream locks are taken by one function, ``lock_streams``
(sql/0004_command_statements_by_name.sql).
"""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.registry.migrations import SQL

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    run_script(SQL / "0004_command_statements_by_name.sql")


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP FUNCTION {s}.append_command(text[], jsonb, jsonb, jsonb)")
    op.execute(f"DROP FUNCTION {s}.moved_stream(jsonb)")
    op.execute(f"DROP FUNCTION {s}.command_reads(text, text[], text[], text[])")
    op.execute(f"DROP FUNCTION {s}.lock_streams(text[], text[])")
    run_script(SQL / "0003_command_statements.sql")
