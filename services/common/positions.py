"""The global position as the HTTP APIs take it: the order of every event in the register, a
PostgreSQL ``bigint`` (the ``position`` a command answers with)."""

from __future__ import annotations

from typing import Any

from fastapi import Query

MAX_POSITION = 2**63 - 1


def min_position_query(description: str) -> Any:
    """``?min_position=``: answer only once this position is read (``description`` says what
    that means for the service); absent, answer at once."""
    return Query(ge=0, le=MAX_POSITION, description=description)
