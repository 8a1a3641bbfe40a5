"""The projections FastAPI application; its lifespan runs the consumer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware

from services.common import problems
from services.common.app import running, service_app
from services.common.dead_letter_routes import dead_letter_router
from services.projections.bootstrap import Projections, bootstrap
from services.projections.config import ProjectionsSettings
from services.projections.entrypoints.cache import AnswerCache, ServeCachedAnswers
from services.projections.entrypoints.deps import dead_letter_store
from services.projections.entrypoints.routers import (
    ops,
    organisations,
    recommendations,
    responsibilities,
    reviews,
)
from services.projections.errors import NotCaughtUp, ProjectionError

CACHED_PREFIXES = (
    "/v1/organisations",
    "/v1/recommendations",
    "/v1/reviews/",
    "/v1/responsibilities/",
)
"""The read routes that answer through :func:`~.responses.cached`."""


def create_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    settings = settings or ProjectionsSettings()

    def wire(app: FastAPI) -> Projections:
        app.state.projections = wired = bootstrap(settings)
        app.state.reader = wired.reader
        app.state.answers = AnswerCache()
        return wired

    app = service_app(
        "projections",
        "Read side: organisations, recommendations, responsibilities, as of any time.",
        running(wire),
        ProjectionError,
        settings,
        settings.max_body_bytes,
        inner=[Middleware(ServeCachedAnswers, prefixes=CACHED_PREFIXES)],
        metrics_endpoint=False,
    )

    async def not_caught_up(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotCaughtUp)
        response = problems.problem(503, exc.title, exc.detail, position=exc.position)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        response.headers["Remit-Position"] = str(exc.position)
        return response

    app.state.withhold_actors = settings.events_access == "token"
    app.add_exception_handler(NotCaughtUp, not_caught_up)
    for module in (organisations, recommendations, reviews, responsibilities):
        app.include_router(module.router)
    app.include_router(dead_letter_router(dead_letter_store))
    app.include_router(ops.router)
    return app
