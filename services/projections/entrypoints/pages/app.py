"""The pages app: its own ASGI app, served on ``REMIT_PAGES_PORT`` beside the JSON API.

It shares the API app's state (the :class:`Reader`, the kept answers), so a page is read
in the same REPEATABLE READ snapshot way, kept by the same key (path, query, head) and served
from memory until the position moves, exactly as the API's answers are.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common import observability
from services.projections.entrypoints.cache import ServeCachedAnswers
from services.projections.entrypoints.pages import entities, reviews
from services.projections.entrypoints.pages.render import html
from services.projections.entrypoints.pages.security import SecurityHeaders
from services.projections.errors import NotCaughtUp, NotFound, ProjectionError

ASSETS = Path(__file__).resolve().parent / "assets"
KEPT_PREFIXES = ("/reviews/", "/recommendations/", "/organisations/", "/responsibilities/")
log = structlog.get_logger(__name__)


class PagesApp(FastAPI):
    """The pages app, with the API app whose state it shares (downloads are asked of it)."""

    api: FastAPI


def create_pages_app(api: FastAPI) -> PagesApp:
    """The pages over ``api``'s read model (its lifespan opens it; downloads go to ``api``)."""
    app = PagesApp(title="Remit pages", docs_url=None, redoc_url=None, openapi_url=None)
    app.state = api.state
    app.api = api
    if not (ASSETS / "remit.css").exists():
        log.error("pages assets missing: run make pages-assets", folder=str(ASSETS))
    app.mount("/assets", StaticFiles(directory=ASSETS, check_dir=False), name="assets")
    app.include_router(reviews.router)
    app.include_router(entities.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_exception_handler(ProjectionError, _problem_page)
    app.add_exception_handler(StarletteHTTPException, _http_page)
    app.add_exception_handler(Exception, _failure_page)
    app.add_middleware(ServeCachedAnswers, prefixes=KEPT_PREFIXES)
    observability.install(app, "pages", metrics_endpoint=False)
    app.add_middleware(SecurityHeaders)  # outermost: kept answers and errors get them too
    return app


async def _problem_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProjectionError)
    status = exc.status
    if isinstance(exc, NotFound):
        return html(request, "error.html", 404, title="Page not found", detail=exc.detail)
    response = html(request, "error.html", status, title=exc.title, detail=exc.detail)
    if isinstance(exc, NotCaughtUp):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _http_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = "Page not found" if exc.status_code == 404 else str(exc.detail)
    return html(request, "error.html", exc.status_code, title=title, detail=None)


async def _failure_page(request: Request, exc: Exception) -> HTMLResponse:
    log.exception("page failed", path=request.url.path)
    detail = "The page could not be prepared. Try again in a moment."
    return html(request, "error.html", 500, title="Sorry, there is a problem", detail=detail)
