"""``remit dlq replay``: rebuild the projections, then acknowledge what the rebuild fixed.

A dead letter is acknowledged only when the rebuilt read model provably holds its event: it is
an ``apply_error`` with a global position, and that position is in the active schema's
``events`` table after the rebuild (the rebuild stores exactly the events it applied). Anything
else stays for an operator: ``undecodable`` records (no position to check), ``position_gap``
anomalies (a rebuild does not fill gaps), and events that still fail or now apply as no-ops.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Collection, Sequence
from typing import Any

import httpx

from services.cli.output import check
from services.cli.wiring import Wiring

REBUILD = (sys.executable, "-m", "services.projections", "rebuild")


def fixed_by_rebuild(letters: Sequence[dict[str, Any]], wiring: Wiring) -> list[dict[str, Any]]:
    """The dead letters whose events the rebuilt read model now holds."""
    candidates = {
        int(d["position"]): d
        for d in letters
        if d.get("kind") == "apply_error" and d.get("position") is not None
    }
    held = wiring.applied(set(candidates)) if candidates else set()
    return [d for p, d in sorted(candidates.items()) if p in held]


def replay(client: httpx.Client, wiring: Wiring) -> tuple[int, list[dict[str, Any]], list[Any]]:
    """(rebuild exit code, acknowledged, still open). Nothing is acknowledged if it failed."""
    code = wiring.run(list(REBUILD))
    if code != 0:
        return code, [], []
    letters = check(client.get("/v1/dead-letters"))["items"]
    fixed = fixed_by_rebuild(letters, wiring)
    for letter in fixed:
        check(client.post(f"/v1/dead-letters/{letter['id']}/acknowledge"))
    remaining = check(client.get("/v1/dead-letters"))["items"]
    return 0, fixed, remaining


def projections_hold(positions: Collection[int]) -> set[int]:
    """Read the projections' active schema (REMIT_* settings, as the rebuild itself does)."""
    return asyncio.run(_hold(sorted(positions)))


async def _hold(positions: list[int]) -> set[int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from services.projections.adapters.store import active_schema
    from services.projections.config import ProjectionsSettings

    settings = ProjectionsSettings()
    engine = create_async_engine(settings.database_dsn)
    try:
        async with engine.connect() as conn:
            schema = await active_schema(conn, settings.db_schema)
            sql = text(f"SELECT position FROM {schema}.events WHERE position = ANY(:ps)")
            return {int(row[0]) for row in await conn.execute(sql, {"ps": positions})}
    finally:
        await engine.dispose()
