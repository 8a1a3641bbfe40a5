"""The control schema: the active-schema pointer and the dead letters (sql/0001_control.sql).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.projections.migrations import SQL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_script(SQL / "0001_control.sql")


def downgrade() -> None:
    op.execute(f"DROP TABLE {schema()}.dead_letters, {schema()}.active")
