"""The notifier's tables as main 45e7b62 created them at start-up (sql/0001_tables.sql)."""

from __future__ import annotations

from alembic import op

from services.common.migrations import run_script, schema
from services.notifier.migrations import SQL

revision = "0001"
down_revision = None

TABLES = (
    "dead_letters",
    "attempts",
    "jobs",
    "subscriptions",
    "owners",
    "holders",
    "recommendations",
    "organisations",
    "events",
    "checkpoint",
)


def upgrade() -> None:
    run_script(SQL / "0001_tables.sql")


def downgrade() -> None:
    op.execute(f"DROP TABLE {', '.join(f'{schema()}.{t}' for t in TABLES)}")
