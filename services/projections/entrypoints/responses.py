"""Answers: JSON (default) or CSV on ``Accept: text/csv``; each carries ``Remit-Position``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from services.projections.service_layer.queries import Snapshot

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
    return JSONResponse(envelope, headers=headers)
