"""Answers: JSON (default) or CSV on ``Accept: text/csv``; each carries ``Remit-Position``.

Read routes go through :func:`cached`: the answer for the request at the current head is
rendered once and then served as bytes (see :mod:`.cache`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic_core import to_json

from services.projections.adapters.store import Bound
from services.projections.entrypoints.cache import AnswerCache, Rendered
from services.projections.service_layer.queries import ReadModel, Snapshot

POSITION_HEADER = "Remit-Position"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def answer(
    request: Request,
    snap: Snapshot,
    body: dict[str, Any],
    csv_rows: Sequence[dict[str, Any]] | None = None,
) -> Response:
    headers = {POSITION_HEADER: str(snap.reflects)}
    if csv_rows is not None and wants_csv(request):
        out = io.StringIO()
        columns = list(csv_rows[0]) if csv_rows else ["position"]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in csv_rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    envelope = {
        "position": snap.reflects,
        "degraded": snap.degraded,
        "as_of": snap.bound.as_of.isoformat() if snap.bound.as_of else None,
        "at_position": snap.bound.position,
        **body,
    }
    return Response(to_json(envelope), media_type="application/json", headers=headers)


Render = Callable[[Snapshot], Awaitable[Response]]


async def cached(
    request: Request, reader: ReadModel, bound: Bound, min_position: int | None, render: Render
) -> Response:
    """``render`` over a snapshot, or the bytes it gave for the same request and head.

    Waits first (``min_position``, ``at_position``: 503 when not applied in time); a matching
    ``If-None-Match`` gets a 304.
    """
    answers: AnswerCache = request.app.state.answers
    now = await reader.wait_for(max(min_position or 0, bound.position or 0))

    async def fresh() -> tuple[Hashable, Response]:
        async with reader.snapshot(bound, min_position, waited=True) as snap:
            response = await render(snap)
            return key(request, bound, snap.schema, snap.position, snap.degraded), response

    found = await answers.get_or_render(
        key(request, bound, now.schema, now.position, now.degraded), fresh
    )
    if isinstance(found, Rendered):
        return found.response(request.headers.get("if-none-match"))
    return found


def key(request: Request, bound: Bound, schema: str, position: int, degraded: bool) -> Hashable:
    """What an answer depends on. An answer at a position already applied is settled: later
    positions do not change it (the events up to it are fixed), a date bound's may (an event
    recorded later can have occurred before it)."""
    query = sorted(kv for kv in request.query_params.multi_items() if kv[0] != "min_position")
    settled = bound.position is not None and bound.position <= position
    reached = None if settled else position
    return (request.url.path, tuple(query), wants_csv(request), schema, degraded, reached)
