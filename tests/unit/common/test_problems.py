"""A database that cannot be reached is a 503 whether SQLAlchemy or asyncpg (a statement sent
to the driver directly, as the projections' hot paths do) reports it; a bad statement is not."""

from __future__ import annotations

import asyncpg
import httpx
from fastapi import FastAPI

from services.common.problems import database_unavailable, install


def test_asyncpg_connection_errors_are_unavailability_and_others_are_not() -> None:
    assert database_unavailable(asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    assert database_unavailable(asyncpg.exceptions.AdminShutdownError("shutting down"))
    assert not database_unavailable(asyncpg.exceptions.UndefinedTableError("no such table"))


async def test_a_lost_driver_connection_answers_503_and_a_bad_statement_500() -> None:
    app = FastAPI()
    install(app)

    @app.get("/lost")
    async def lost() -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")

    @app.get("/bad")
    async def bad() -> None:
        raise asyncpg.exceptions.UndefinedTableError("relation does not exist")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        lost_answer = await client.get("/lost")
        assert lost_answer.status_code == 503 and lost_answer.headers["Retry-After"] == "1"
        assert (await client.get("/bad")).status_code == 500
