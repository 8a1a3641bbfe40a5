"""RFC 9457 problem details: the one place where every service turns errors into HTTP answers.

Each service registers its own error tree with :func:`install`, giving a base exception class
whose instances carry ``status``, ``title`` and ``detail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem document; ``extra`` members go into it, ``headers`` on the answer."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
"""Connection exceptions, admin/crash shutdown, "cannot connect now", too many connections."""


def database_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` says the database cannot be reached now (not that the request was bad).
    ``exc`` is SQLAlchemy's, or asyncpg's from a statement sent to the driver directly."""
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        return str(exc.sqlstate or "").startswith(UNAVAILABLE_SQLSTATES)
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc.orig, OSError):
        return True
    state = str(getattr(exc.orig, "sqlstate", None) or "")
    return state.startswith(UNAVAILABLE_SQLSTATES)


UNSTORABLE_TEXT_SQLSTATES = ("22P05", "22021")
"""untranslatable_character (a \\u0000 in jsonb), character_not_in_repertoire (NUL in text)."""


def unstorable_text(exc: BaseException) -> bool:
    """True if the database refused a string of the request (PostgreSQL cannot store NUL)."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and str(state or "") in UNSTORABLE_TEXT_SQLSTATES


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "location": list(map(str, err.get("loc", ()))),
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]


def install(app: FastAPI, domain_error: type[Exception] | None = None) -> None:
    """Register handlers: domain errors, malformed requests, HTTP errors, and the unexpected."""

    if domain_error is not None:

        async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
            status = int(getattr(exc, "status", 400))
            title = str(getattr(exc, "title", "Request refused"))
            extra = dict(getattr(exc, "extra", None) or {})
            headers = getattr(exc, "headers", None)
            return problem(status, title, str(getattr(exc, "detail", exc)), headers, **extra)

        app.add_exception_handler(domain_error, on_domain_error)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"location": [], "message": "invalid request"}
        detail = f"{'.'.join(first['location'])}: {first['message']}"
        return problem(422, "Malformed request", detail, errors=errors)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            429: "Too many requests",
            503: "Service unavailable",
        }
        response = problem(
            exc.status_code, title.get(exc.status_code, "HTTP error"), str(exc.detail)
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem(500, "Internal error", "The server failed; nothing partial was stored.")

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        # Handled here (not by the catch-all, which Starlette re-raises, making the server drop
        # the keep-alive connection): a database outage is a 503 the client may retry.
        if unstorable_text(exc):
            detail = "A string in the request contains a character that cannot be stored (NUL)."
            return problem(422, "Malformed request", detail)
        if not database_unavailable(exc):
            return await on_unexpected(request, exc)
        log.warning("database_unavailable", path=request.url.path, error=repr(exc)[:300])
        detail = (
            "The database is unavailable. Retry later; a write retried with the same "
            "Idempotency-Key is applied at most once."
        )
        response = problem(503, "Service unavailable", detail)
        response.headers["Retry-After"] = "1"
        return response

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(asyncpg.PostgresError, on_database)
    app.add_exception_handler(OSError, on_database)
    app.add_exception_handler(Exception, on_unexpected)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before they are read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        too_large = False

        async def limited() -> Message:
            nonlocal received, too_large
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                too_large = True
                raise _TooLarge
            return message

        async def unless_too_large(message: Message) -> None:
            # FastAPI turns any error while reading the body into its own 400; once the limit
            # is crossed, whatever the app answers is dropped and the 413 below is sent instead.
            if not too_large:
                await send(message)

        try:
            await self.app(scope, limited, unless_too_large)
        except _TooLarge:
            pass
        if too_large:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body exceeds {self.max_bytes} bytes."
        await problem(413, "Request body too large", detail)(scope, receive, send)


class _TooLarge(Exception):
    pass
