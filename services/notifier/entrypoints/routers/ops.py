"""Operations: readiness (degraded while dead letters are unacknowledged), metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from services.notifier import metrics
from services.notifier.entrypoints.deps import NotifierDep

router = APIRouter(tags=["ops"])


class Readiness(BaseModel):
    ready: bool
    status: str
    degraded: bool
    reasons: list[str]
    checks: dict[str, str]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `reasons` says why."}},
)
async def readyz(n: NotifierDep) -> JSONResponse:
    """Ready: database reachable, consumer polling (if it runs here), no unacknowledged dead
    letters (503 ``degraded`` until an operator acknowledges them, as the projections do)."""
    checks: dict[str, str] = {}
    unacked = 0
    try:
        unacked = await n.dead_letters.unacknowledged()
        checks["database"] = "ok"
        checks["dead_letters"] = f"{unacked} unacknowledged" if unacked else "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    if n.settings.run_consumer:
        checks["consumer"] = "ok" if n.consumer.polling else "starting"
    reasons = [
        f"{name}: {state}"
        for name, state in checks.items()
        if state != "ok" and name != "dead_letters"
    ]
    if unacked:
        reasons.append("degraded: unacknowledged dead letters")
    body = {
        "ready": not reasons,
        "status": "ready" if not reasons else "not_ready",
        "degraded": unacked > 0,
        "reasons": reasons,
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if not reasons else 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus() -> Response:
    """Prometheus metrics."""
    body = generate_latest(metrics.REGISTRY) + generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
