"""FastAPI dependencies of the projections service, as ``Annotated`` aliases in one place.

All ``async def``: none does I/O, and FastAPI runs a plain ``def`` dependency in a worker
thread (two thread hops per request).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from services.common.dead_letters import DeadLetterStore
from services.common.positions import MAX_POSITION, min_position_query
from services.projections.bootstrap import Projections
from services.projections.entrypoints.responses import ViewRequest
from services.projections.errors import BadQuery
from services.projections.service_layer.ports import Bound
from services.projections.service_layer.queries import Reader


async def projections(request: Request) -> Projections:
    wired: Projections = request.app.state.projections
    return wired


async def reader(request: Request) -> Reader:
    found: Reader = request.app.state.reader
    return found


def dead_letter_store(request: Request) -> DeadLetterStore:
    wired: Projections = request.app.state.projections
    return wired.dead_letters


def parse_as_of(raw: str) -> datetime:
    """A date means the end of that day (UTC); a datetime without offset is taken as UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
        moment = datetime.fromisoformat(raw)
    except (ValueError, OverflowError) as exc:  # 9999-12-31 overflows the day after
        raise BadQuery(f"as_of: {raw!r} is not an ISO 8601 date or datetime") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def bound(
    as_of: Annotated[
        str | None,
        Query(
            description="Answer as of this moment: an ISO date (the end of that day, UTC) or "
            "datetime. Facts count from when the source says they happened (`occurred_at`), "
            "else within their bounds: `valid.uncertain` marks what may or may not hold then."
        ),
    ] = None,
    at_position: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_POSITION,
            description="Answer as the register stood just after this global position (waits "
            "for it, like `min_position`). Not with `as_of`.",
        ),
    ] = None,
) -> Bound:
    if as_of is not None and at_position is not None:
        raise BadQuery("give as_of or at_position, not both")
    return Bound(at_position, parse_as_of(as_of) if as_of is not None else None)


Wired = Annotated[Projections, Depends(projections)]
ReadSide = Annotated[Reader, Depends(reader)]
AsOf = Annotated[Bound, Depends(bound)]
MinPosition = Annotated[
    int | None,
    min_position_query(
        "Read your writes: answer only once this global position (a command's `position`) is "
        "applied; 503 with `Retry-After` if it is not within `REMIT_MIN_POSITION_MAX_WAIT_S`. "
        "It changes when, never what, the answer is."
    ),
]


async def view_request(
    request: Request, reader: ReadSide, bound: AsOf, min_position: MinPosition = None
) -> ViewRequest:
    return ViewRequest(request, reader, bound, min_position)


View = Annotated[ViewRequest, Depends(view_request)]

CsvOrJson = Annotated[
    Literal["json", "csv"] | None,
    Query(
        alias="format",
        description="`csv` or `json`; absent: as `Accept` prefers (`text/csv` or JSON).",
    ),
]
"""``?format=`` of a route with a CSV variant (read by :func:`~.responses.wants_csv`)."""
JsonOnly = Annotated[
    Literal["json"] | None,
    Query(alias="format", description="`json` only: this answer has no CSV variant."),
]
