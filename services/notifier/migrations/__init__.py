"""Alembic revisions of the notifier's schema (SQL in ``sql/``).

Revision 0001 is the tables as they were created at start-up before migrations existed, so an
older database upgrades in place; later revisions change them without losing a subscription or
a delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from services.common.migrations import upgrade

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql"


async def migrate(
    database_url: str, schema: str, consumer_group: str, encryption_keys: Sequence[str]
) -> None:
    """Bring ``schema`` to the last revision (several processes may call this at once);
    ``consumer_group`` names the consumer of dead letters recorded before revision 0002;
    revision 0004 seals the webhook secrets stored before it under ``encryption_keys[0]``."""
    await upgrade(
        database_url,
        HERE,
        schema,
        consumer_group=consumer_group,
        encryption_keys=list(encryption_keys),
    )
