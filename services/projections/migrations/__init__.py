"""Alembic revisions of the projections' control schema (SQL in ``sql/``).

Only the control schema is migrated: it holds what must outlive a rebuild (the pointer to the
active data schema, the dead letters). The data schemas are disposable read models whose DDL is
code (:mod:`services.projections.adapters.schema`): a new shape means a rebuild into a new
schema, not a migration.
"""

from __future__ import annotations

from pathlib import Path

from services.common.migrations import upgrade

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql"


async def migrate(database_url: str, schema: str) -> None:
    """Bring the control ``schema`` to the last revision (several processes may call this)."""
    await upgrade(database_url, HERE, schema)
