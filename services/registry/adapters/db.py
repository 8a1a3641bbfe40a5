"""The PostgreSQL connection: engine factory, advisory-lock keys, channel names, error helpers.

Every table lives in one schema (``RegistrySettings.db_schema``, ``registry`` by default); SQL
text names it through :class:`Tables`. Advisory-lock keys are derived from the schema name so two
schemas in one database (tests do this) never share a sequencer or relay lock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.database import advisory_key
from services.registry.config import RegistrySettings

SEQUENCED_CHANNEL = "remit_sequenced"
"""NOTIFY channel: a sequencer batch committed (payload: the last position given). Sent by the
function ``sequence_batch`` (migrations/sql/0002_sequencer.sql)."""
UNIQUE_VIOLATION = "23505"

Statements = TypeVar("Statements")


def create_engine(settings: RegistrySettings, **overrides: Any) -> AsyncEngine:
    """An async engine on asyncpg; ``overrides`` go to ``create_async_engine``."""
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_pre_ping": settings.db_pool_pre_ping,
    }
    if overrides.get("poolclass") is not None:
        options = {"pool_pre_ping": settings.db_pool_pre_ping}
    return create_async_engine(settings.database_dsn, **{**options, **overrides})


@dataclass(frozen=True)
class Tables:
    """Qualified table names and lock keys of one registry schema."""

    schema: str

    @property
    def events(self) -> str:
        return f"{self.schema}.events"

    @property
    def sequencer_state(self) -> str:
        return f"{self.schema}.sequencer_state"

    @property
    def relay_state(self) -> str:
        return f"{self.schema}.relay_state"

    @property
    def idempotency_keys(self) -> str:
        return f"{self.schema}.idempotency_keys"

    @property
    def sequencer_lock(self) -> int:
        return advisory_key(self.schema, "sequencer")

    @property
    def relay_lock(self) -> int:
        return advisory_key(self.schema, "relay")


def per_schema(build: Callable[[Tables], Statements]) -> Callable[[Tables], Statements]:
    """``build`` runs once per schema: a statement object keeps its SQLAlchemy cache key, so a
    unit of work does not pay to compute it again."""
    return functools.cache(build)


def unique_violation(exc: IntegrityError) -> tuple[str | None, str]:
    """(constraint name, server detail) of a unique violation, or (None, "") if it is not one."""
    orig: Any = exc.orig
    if getattr(orig, "sqlstate", None) != UNIQUE_VIOLATION:
        return None, ""
    cause = getattr(orig, "__cause__", None)
    constraint = getattr(cause, "constraint_name", None)
    detail = getattr(cause, "detail", None) or ""
    return constraint, detail
