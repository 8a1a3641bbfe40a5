"""What each read route publishes beyond its model: headers, the CSV variant, 304, 404 and the
wait's 503 (see :mod:`services.common.openapi` for the statuses every route shares)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.common.openapi import problems
from services.projections.entrypoints.csv_columns import COLUMNS, MEANING

HEADERS = {
    "Remit-Position": "The position the answer reflects.",
    "ETag": "Names this answer: send it as `If-None-Match` to get 304 while it is the same.",
    "Vary": "`accept`: the CSV and JSON variants are different answers.",
}


def read(model: type[BaseModel], csv: str | None = None, **s404: str) -> dict[int | str, Any]:
    """``responses=`` of a read route answering ``model`` (and CSV rows of kind ``csv``)."""
    headers = {k: {"description": v, "schema": {"type": "string"}} for k, v in HEADERS.items()}
    ok: dict[str, Any] = {"model": model, "description": "The answer.", "headers": headers}
    if csv is not None:
        columns = COLUMNS[csv]
        ok["description"] = (
            f"The answer as JSON, or as CSV (`?format=csv` or `Accept: text/csv`): "
            f"{MEANING[csv]}; columns `{'`, `'.join(columns)}`."
        )
        ok["content"] = {
            "text/csv": {"schema": {"type": "string"}, "example": ",".join(columns) + "\n"}
        }
    return {
        200: ok,
        304: {"description": "`If-None-Match` names this answer: it has not changed."},
        **problems(*([404] if s404 else []), **s404),
        503: {
            "description": "`min_position` or `at_position` not applied within "
            "`REMIT_MIN_POSITION_MAX_WAIT_S` (retry after `Retry-After`; `position` says how "
            "far it got), or the database is unreachable."
        },
    }
