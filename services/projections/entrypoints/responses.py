"""Answers: JSON (default) or CSV (``?format=csv`` or ``Accept: text/csv``, where the route has
a CSV variant); each carries ``Remit-Position``. With ``REMIT_EVENTS_ACCESS=token`` the actor
fields are withheld from every answer (rendered once, so it costs nothing per request).

Read routes go through :func:`cached`: the answer for the request at the current head is
rendered once and then served as bytes (see :mod:`.cache`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic_core import to_json

from services.projections.entrypoints import cache
from services.projections.entrypoints.cache import AnswerCache, Rendered
from services.projections.service_layer.ports import Bound, Head
from services.projections.service_layer.queries import Reader, Snapshot

POSITION_HEADER = "Remit-Position"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return cache.wants_csv(accept, request.query_params.get("format"))


ACTOR_FIELDS = frozenset({"actor", "correlation_id", "causation_id"})
"""What ``REMIT_EVENTS_ACCESS=token`` withholds (set to null) wherever it appears."""


def withheld(value: Any) -> Any:
    """``value`` with every actor field set to null, at any depth."""
    if isinstance(value, dict):
        return {k: None if k in ACTOR_FIELDS else withheld(v) for k, v in value.items()}
    if isinstance(value, list):
        return [withheld(v) for v in value]
    return value


def shown(request: Request, value: Any) -> Any:
    """``value`` as this deployment shows it, in an answer or on a page: with the actor fields
    withheld where ``REMIT_EVENTS_ACCESS=token``."""
    return withheld(value) if getattr(request.app.state, "withhold_actors", False) else value


def answer(
    request: Request,
    snap: Snapshot,
    body: dict[str, Any],
    csv_rows: Sequence[dict[str, Any]] | None = None,
    csv_columns: Sequence[str] = (),
) -> Response:
    """``body`` as JSON, or ``csv_rows`` as CSV with exactly ``csv_columns``."""
    headers = {POSITION_HEADER: str(snap.reflects)}
    body = shown(request, body)
    if csv_rows is not None and wants_csv(request):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=csv_columns, extrasaction="ignore")
        writer.writeheader()
        for row in csv_rows:
            writer.writerow({k: _cell(row.get(k)) for k in csv_columns})
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


@dataclass(frozen=True)
class ViewRequest:
    """What every read route takes: the request, the reader, the bound, the position to wait
    for (see ``deps.View``)."""

    request: Request
    reader: Reader
    bound: Bound
    min_position: int | None


async def cached(view: ViewRequest, render: Render) -> Response:
    """``render`` over a snapshot, or the bytes it gave for the same request and head.

    Waits first (``min_position``, ``at_position``: 503 when not applied in time); a matching
    ``If-None-Match`` gets a 304. Uses the head :class:`~.cache.ServeCachedAnswers` read, if any.
    """
    request, reader, bound, min_position = view.request, view.reader, view.bound, view.min_position
    answers: AnswerCache = request.app.state.answers
    wanted = max(min_position or 0, bound.position or 0)
    now = request.scope.get("state", {}).get(cache.HEAD_SCOPE_KEY)
    if now is None or now.position < wanted:
        now = await reader.wait_for(wanted)

    async def fresh() -> tuple[Hashable, Response]:
        async with reader.snapshot(bound, min_position, waited=True) as snap:
            response = await render(snap)
            return key(request, snap.head), response

    route = request.scope.get("route")
    found = await answers.get_or_render(key(request, now), fresh, route)
    if isinstance(found, Rendered):
        return found.response(request.headers.get("if-none-match"))
    return found


def key(request: Request, head: Head) -> Hashable:
    """:func:`~.cache.answer_key` of ``request``."""
    accept = request.headers.get("accept", "")
    path = request.scope["path"]
    return cache.answer_key(path, request.query_params.multi_items(), accept, head)
