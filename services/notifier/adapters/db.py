"""The notifier's PostgreSQL engine. Its tables are Alembic's (``services/notifier/migrations``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.notifier.config import NotifierSettings


def create_engine(settings: NotifierSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_dsn,
        pool_size=settings.db_pool_size,
        pool_pre_ping=settings.db_pool_pre_ping,
    )
