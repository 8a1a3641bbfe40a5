"""The FastAPI application every service starts from: problem documents for its error tree,
correlation ids and request metrics, a body limit, ``/healthz``, and a lifespan that starts
the wired service and closes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal, Protocol

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.middleware import Middleware

from services.common import auth, observability, openapi, problems
from services.common.ratelimit import RateLimit


def service_app(
    service: str,
    summary: str,
    lifespan: Lifespan,
    errors: type[Exception],
    settings: auth.AuthSettings,
    max_body_bytes: int,
    limits: Iterable[RateLimit] = (),
    inner: Sequence[Middleware] = (),
    metrics_endpoint: bool = True,
    description: str = "",
) -> FastAPI:
    """Callers are checked with ``settings`` (tokens) and ``limits`` (per-caller rates the
    routes name). ``inner`` middleware runs inside the request context (its answers get a
    correlation id and are measured); the body limit runs outside everything. Each route's
    name is its ``operationId`` (what generated clients call it), so names are unique."""
    app = FastAPI(
        title=f"Remit {service}",
        version="1.0.0",
        summary=summary,
        description=description,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
    )
    problems.install(app, errors)
    auth.install(app, settings, limits)
    openapi.install(app)

    @app.get("/healthz", tags=["ops"], response_model=Alive)
    async def healthz() -> Alive:
        """Alive."""
        return Alive()

    for middleware in inner:
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    observability.install(app, service, metrics_endpoint=metrics_endpoint)
    app.add_middleware(problems.BodyLimit, max_bytes=max_body_bytes)
    return app


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Service(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def running(wire: Callable[[FastAPI], Service]) -> Lifespan:
    """A lifespan that wires the service (``wire`` also puts it on ``app.state``), starts it,
    and closes it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = wire(app)
        try:
            await service.start()
            yield
        finally:
            await service.close()

    return lifespan
