"""The control schema: the active-schema pointer and the dead letters (sql/0001_control.sql)."""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.projections.migrations import SQL

revision = "0001"
down_revision = None


def upgrade() -> None:
    run_script(SQL / "0001_control.sql")


def downgrade() -> None:
    op.execute(f"DROP TABLE {schema()}.dead_letters, {schema()}.active")
