"""The FastAPI application every service starts from: problem documents for its error tree,
correlation ids and request metrics, and a body limit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from starlette.middleware import Middleware

from services.common import observability, problems


def service_app(
    service: str,
    summary: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    errors: type[Exception],
    max_body_bytes: int,
    inner: Sequence[Middleware] = (),
    metrics_endpoint: bool = True,
) -> FastAPI:
    """``inner`` middleware runs inside the request context (its answers get a correlation id
    and are measured); the body limit runs outside everything."""
    app = FastAPI(title=f"Remit {service}", version="1.0.0", summary=summary, lifespan=lifespan)
    problems.install(app, errors)
    for middleware in inner:
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    observability.install(app, service, metrics_endpoint=metrics_endpoint)
    app.add_middleware(problems.BodyLimit, max_bytes=max_body_bytes)
    return app
