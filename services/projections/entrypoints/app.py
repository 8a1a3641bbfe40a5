"""The projections FastAPI application; its lifespan runs the consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import auth, observability, problems
from services.projections.bootstrap import Projections, bootstrap
from services.projections.config import ProjectionsSettings
from services.projections.entrypoints.cache import AnswerCache, ServeKept
from services.projections.entrypoints.routers import (
    dead_letters,
    ops,
    organisations,
    recommendations,
    responsibilities,
    reviews,
)
from services.projections.errors import NotCaughtUp, ProjectionError
from services.projections.service_layer.queries import ReadModel

CACHED_PREFIXES = (
    "/v1/organisations",
    "/v1/recommendations",
    "/v1/reviews/",
    "/v1/responsibilities/",
)
"""The read routes that answer through :func:`~.responses.cached`."""


def create_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    settings = settings or ProjectionsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wired: Projections = bootstrap(settings)
        await wired.start(run_consumer=settings.run_consumer)
        app.state.projections = wired
        # Readers get a pool of their own: without pre-ping (a round trip on every checkout,
        # as much as the head read of a cached answer; a connection found dead fails its
        # request and is discarded) and without overflow (under load, overflow connections
        # were opened and closed per request: requests wait for a pooled one instead).
        readers = create_async_engine(
            settings.database_dsn,
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_pre_ping=False,
        )
        app.state.read_model = read_model = ReadModel(
            readers,
            settings.db_schema,
            settings.min_position_max_wait_s,
            settings.min_position_poll_s,
            keep_head_connection=True,
        )
        wired.runner.on_applied = read_model.advanced
        app.state.answers = AnswerCache()
        try:
            yield
        finally:
            await read_model.close()
            await readers.dispose()
            await wired.close()

    app = FastAPI(
        title="Remit projections",
        version="1.0.0",
        summary="Read side: organisations, recommendations, responsibilities, as of any time.",
        lifespan=lifespan,
    )
    problems.install(app, ProjectionError)
    auth.install(app, settings)
    app.add_middleware(ServeKept, prefixes=CACHED_PREFIXES)  # inside the observability one
    observability.install(app, "projections", metrics_endpoint=False)

    async def not_caught_up(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotCaughtUp)
        response = problems.problem(503, exc.title, exc.detail, position=exc.position)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        response.headers["Remit-Position"] = str(exc.position)
        return response

    app.add_exception_handler(NotCaughtUp, not_caught_up)
    for module in (organisations, recommendations, reviews, responsibilities, dead_letters, ops):
        app.include_router(module.router)
    return app
