"""Every service's migrations go all the way down and up again on a fresh schema."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.migrations import downgrade, upgrade
from services.notifier import migrations as notifier
from services.notifier.adapters.secret_box import DEVELOPMENT_KEY
from services.projections import migrations as projections
from services.registry import migrations as registry

pytestmark = pytest.mark.integration
KEYS: dict[str, Any] = {"encryption_keys": [DEVELOPMENT_KEY]}
"""What the notifier's revision 0004 (webhook secrets encrypted) needs, both ways; the other
services' revisions ignore it."""


async def _tables(database_url: str, schema: str) -> set[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            )
            return {str(r[0]) for r in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "migrations", [registry.HERE, projections.HERE, notifier.HERE], ids=lambda p: p.parent.name
)
async def test_down_to_nothing_and_up_again(database_url: str, migrations: Path) -> None:
    schema = f"m_{uuid.uuid4().hex[:10]}"
    await upgrade(database_url, migrations, schema, **KEYS)
    tables = await _tables(database_url, schema)
    await downgrade(database_url, migrations, schema, "base", **KEYS)
    assert await _tables(database_url, schema) == {"alembic_version"}
    await upgrade(database_url, migrations, schema, **KEYS)
    assert await _tables(database_url, schema) == tables
