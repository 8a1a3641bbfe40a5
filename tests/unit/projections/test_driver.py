"""``driver.lost``: a lost connection under a raw asyncpg statement is told apart from a
poison record the way SQLAlchemy's errors are (``connection_lost``)."""

from __future__ import annotations

import asyncpg

from services.common.database import connection_lost
from services.projections.adapters.driver import lost


class _Driver:
    def __init__(self, closed: bool) -> None:
        self.closed = closed

    def is_closed(self) -> bool:
        return self.closed


def test_an_error_on_a_live_connection_is_left_as_it_is() -> None:
    exc = asyncpg.exceptions.UniqueViolationError("duplicate key")
    assert lost(exc, _Driver(closed=False)) is exc
    assert not connection_lost(lost(exc, _Driver(closed=False)))


def test_a_closed_connection_or_a_socket_error_is_a_lost_connection() -> None:
    for exc, driver in [
        (asyncpg.exceptions.UniqueViolationError("x"), _Driver(closed=True)),
        (ConnectionResetError("reset by peer"), _Driver(closed=False)),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), None),
    ]:
        assert connection_lost(lost(exc, driver)), exc
