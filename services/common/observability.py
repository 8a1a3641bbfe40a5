"""Logs, correlation ids and metrics, the same way in every service.

Logs are JSON lines (structlog) carrying ``service`` and, inside a request or while handling an
event, ``correlation_id``. The id arrives in the ``X-Correlation-Id`` header (or is minted), is
stored in each event, travels on Kafka as the CloudEvents extension ``correlationid``, and is
bound again by consumers; so one id can be followed through every service's log.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORRELATION_HEADER = "x-correlation-id"

REQUEST_SECONDS = Histogram(
    "remit_http_request_duration_seconds",
    "HTTP request latency by route and status.",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


_service = ""
_correlation_id: ContextVar[str | None] = ContextVar("remit_correlation_id", default=None)


def _add_context(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Every line says which service wrote it and, inside a request or an event, for what."""
    if _service:
        event.setdefault("service", _service)
    if (correlation_id := _correlation_id.get()) is not None:
        event.setdefault("correlation_id", correlation_id)
    return event


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout for structlog and the standard library alike. structlog's own lines
    are rendered and written directly (a line through the standard library's loggers, handlers
    and formatter costs several times more, and the services write one per command or batch)."""
    global _service
    _service = service
    shared: list[structlog.typing.Processor] = [
        _add_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.WriteLoggerFactory(sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[None]:
    """Bind ``correlation_id`` to every log line written inside the block."""
    if not correlation_id:
        yield
        return
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)


def current_correlation_id() -> str | None:
    return _correlation_id.get()


class RequestContext:
    """ASGI middleware: correlation id in and out, and the request latency histogram."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(CORRELATION_HEADER.encode(), b"").decode("latin-1").strip()
        correlation_id = raw[:200] or str(uuid.uuid4())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (CORRELATION_HEADER.encode(), correlation_id.encode()),
                ]
            await send(message)

        with correlation(correlation_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                REQUEST_SECONDS.labels(
                    self.service, scope["method"], template, str(status)
                ).observe(time.perf_counter() - started)


def install(app: FastAPI, service: str, metrics_endpoint: bool = True) -> None:
    """Add the middleware and (unless the service serves its own) ``GET /metrics``."""
    app.add_middleware(RequestContext, service=service)
    if not metrics_endpoint:
        return

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
