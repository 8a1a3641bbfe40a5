"""Operations: readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from services.projections.adapters import store
from services.projections.adapters.schema import SHAPE
from services.projections.entrypoints.deps import Wired

router = APIRouter(tags=["ops"])


class Readiness(BaseModel):
    ready: bool
    degraded: bool
    position: int
    reasons: list[str]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `reasons` says why."}},
)
async def readyz(wired: Wired) -> JSONResponse:
    """Ready: database reachable, read model of this code's shape, consumer running, no
    unacknowledged dead letters."""
    reasons: list[str] = []
    position, degraded = 0, False
    try:
        async with wired.engine.connect() as conn:
            schema = await store.active_schema(conn, wired.settings.db_schema)
            position = await store.position(conn, schema)
            if (built := await store.shape(conn, schema)) != SHAPE:
                reasons.append(f"read model has shape {built}, this code reads {SHAPE}: rebuild")
        degraded = await wired.dead_letters.unacknowledged() > 0
    except Exception as exc:
        reasons.append(f"database unreachable: {type(exc).__name__}")
    if wired.settings.run_consumer and not wired.consumer.polling:
        reasons.append("consumer not running")
    if degraded:
        reasons.append("degraded: unacknowledged dead letters")
    body = {"ready": not reasons, "degraded": degraded, "position": position, "reasons": reasons}
    return JSONResponse(body, status_code=200 if not reasons else 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus() -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
