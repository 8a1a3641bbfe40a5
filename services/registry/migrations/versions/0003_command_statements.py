"""A command in two statements, ``command_reads`` and ``append_command``, with parallel arrays
(sql/0003_command_statements.sql; replaced by 0004).
"""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.registry.migrations import SQL

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    run_script(SQL / "0003_command_statements.sql")


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP FUNCTION IF EXISTS {s}.command_reads(text, text[], boolean[], text[])")
    op.execute(
        f"DROP FUNCTION IF EXISTS {s}.append_command(text[], text[], integer[], text[],"
        " integer[], uuid[], text[], integer[], text[], timestamptz[], text, text, integer, jsonb)"
    )
