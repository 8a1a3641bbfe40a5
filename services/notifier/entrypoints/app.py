"""The notifier's FastAPI application; its lifespan runs the consumer and the worker pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.common import observability, problems
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.config import NotifierSettings
from services.notifier.entrypoints import metrics
from services.notifier.entrypoints.routers import deliveries, subscriptions
from services.notifier.errors import NotifierError


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notifier = bootstrap(settings)
        app.state.notifier = notifier
        try:
            await notifier.start()
            yield
        finally:
            await notifier.close()

    app = FastAPI(
        title="Remit notifier",
        version="1.0.0",
        summary="Tells organisations, by webhook or e-mail, about events that affect them.",
        lifespan=lifespan,
    )
    problems.install(app, NotifierError)
    observability.install(app, "notifier", metrics_endpoint=False)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(subscriptions.router)
    app.include_router(deliveries.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz(response: Response) -> dict[str, object]:
        """Database reachable and (if it runs here) the consumer polling."""
        notifier: Notifier = app.state.notifier
        checks: dict[str, object] = {}
        try:
            async with notifier.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"error: {type(exc).__name__}"
        if settings.run_consumer:
            checks["consumer"] = (
                "ok" if notifier.consumer and notifier.consumer.ready else "starting"
            )
        ready = all(v == "ok" for v in checks.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not_ready", "checks": checks}

    @app.get("/metrics", tags=["ops"])
    async def prometheus() -> Response:
        """Prometheus metrics."""
        body = generate_latest(metrics.REGISTRY) + generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
