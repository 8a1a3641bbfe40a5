"""Dead letters in the shape every consumer shares (sql/0002_shared_dead_letters.sql)."""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from services.common.migrations import run_script, schema, setting
from services.notifier.migrations import SQL

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    run_script(SQL / "0002_shared_dead_letters.sql")
    consumer = setting("consumer_group", "remit-notifier")
    op.execute(
        text(f"UPDATE {schema()}.dead_letters SET consumer = :consumer").bindparams(
            consumer=consumer
        )
    )
    op.execute(f"ALTER TABLE {schema()}.dead_letters ALTER COLUMN consumer SET NOT NULL")


def downgrade() -> None:
    s = schema()
    op.execute(f"ALTER TABLE {s}.dead_letters DROP CONSTRAINT dead_letters_record_kind_key")
    op.execute(f"ALTER TABLE {s}.dead_letters DROP COLUMN consumer, DROP COLUMN record_headers")
    for old, new in (
        ("topic", "source_topic"),
        ("partition", "source_partition"),
        ('"offset"', "source_offset"),
        ("key", "record_key"),
        ("value", "record_value"),
    ):
        op.execute(f"ALTER TABLE {s}.dead_letters RENAME COLUMN {new} TO {old}")
    op.execute(f"ALTER TABLE {s}.dead_letters ALTER COLUMN kind SET DEFAULT 'undecodable'")
    op.execute(f'ALTER TABLE {s}.dead_letters ADD UNIQUE (topic, partition, "offset")')
