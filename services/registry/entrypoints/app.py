"""The registry's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.common.app import service_app
from services.common.ratelimit import RateLimit
from services.registry.bootstrap import Registry, bootstrap, start_relay
from services.registry.config import RegistrySettings
from services.registry.entrypoints.deps import WRITES_LIMIT
from services.registry.entrypoints.models import Readiness
from services.registry.entrypoints.routers import feed, writes
from services.registry.errors import RegistryError


def create_app(
    settings: RegistrySettings | None = None, registry: Registry | None = None
) -> FastAPI:
    settings = settings or (registry.settings if registry else RegistrySettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wired = registry or bootstrap(settings)
        if settings.run_relay:
            await start_relay(wired)
        app.state.registry = wired
        try:
            yield
        finally:
            if registry is None:
                await wired.close()

    app = service_app(
        "registry",
        "Write side: commands in, events out (event store, outbox to Kafka).",
        lifespan,
        RegistryError,
        settings,
        settings.max_body_bytes,
        limits=[RateLimit(WRITES_LIMIT, settings.write_rate_per_s, settings.write_burst)],
    )
    for router in writes.build_routers(settings.projections_url):
        app.include_router(router)
    app.include_router(feed.build_router(settings.events_access))

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: `problems` says why."}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """Ready: database reachable and migrated (the event tables answer)."""
        reasons = await request.app.state.registry.readiness()
        return JSONResponse(
            {"status": "not_ready" if reasons else "ready", "problems": reasons},
            status_code=503 if reasons else 200,
        )

    return app
