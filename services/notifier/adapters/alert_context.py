"""What an alert says around its event, read from the notifier's knowledge logs in
PostgreSQL (read only): :class:`~..service_layer.ports.AlertContexts`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.upcasting import decode
from services.common.wording.alerts import Context
from services.notifier.domain import alert_context


class PostgresAlertContexts:
    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        self.engine, self.schema = engine, schema

    async def context(self, event: Mapping[str, Any], recipient: str) -> Context:
        found = alert_context.decoded(event)
        if found is None:
            return Context()
        sql = f"SELECT stream_id, CAST(events AS text) FROM {self.schema}.knowledge "
        sql += "WHERE stream_id = ANY(:streams)"
        wanted = sorted(alert_context.streams(found, recipient))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text(sql), {"streams": wanted})).all()
        logs = {str(r[0]): tuple(decode(e) for e in json.loads(r[1])) for r in rows}
        return alert_context.context(found, logs)
