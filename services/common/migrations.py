"""Alembic migrations, the same way for every service that keeps data in PostgreSQL.

A service owns one schema (its ``db_schema``) and keeps ``migrations/``: ``env.py`` calls
:func:`run_env`, ``versions/`` holds the revisions, ``sql/`` the SQL scripts they run (tables,
PL/pgSQL functions) with ``{schema}`` where the schema name goes. :func:`upgrade` brings a schema
to the last revision; an advisory lock per schema lets several processes call it at once, and
the version table lives in the schema itself, so two schemas in one database never interfere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.database import advisory_key

SCHEMA_PLACEHOLDER = "{schema}"


async def upgrade(
    database_url: str,
    migrations: Path,
    schema: str,
    revision: str = "head",
    **attributes: Any,
) -> None:
    """``alembic upgrade <revision>`` of the revisions in ``migrations`` on ``schema`` (created
    if missing); ``attributes`` reach the revisions as ``context.config.attributes``."""
    await _run(command.upgrade, database_url, migrations, schema, revision, attributes)


async def downgrade(
    database_url: str, migrations: Path, schema: str, revision: str, **attributes: Any
) -> None:
    """``alembic downgrade <revision>`` (``base``: every table and function dropped);
    ``attributes`` as for :func:`upgrade`."""
    await _run(command.downgrade, database_url, migrations, schema, revision, attributes)


async def _run(
    step: Callable[[Config, str], None],
    database_url: str,
    migrations: Path,
    schema: str,
    revision: str,
    extra: dict[str, Any],
) -> None:
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(migrations))
        config.attributes.update(extra, schema=schema, connection=connection)
        step(config, revision)

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


def run_env() -> None:
    """The body of every ``env.py``: lock, create the schema, run the pending revisions."""
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported")
    attributes = context.config.attributes
    connection: Connection | None = attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations with `python -m services.<service> migrate`")
    schema = str(attributes["schema"])
    lock = advisory_key(schema, "migrations")
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()


def schema() -> str:
    """The schema the running revision migrates."""
    return str(op.get_context().opts["version_table_schema"])


def setting(name: str, default: str) -> str:
    """An attribute given to :func:`upgrade` (e.g. the consumer group), for a revision."""
    return str(context.config.attributes.get(name) or default)


def sql_revision(
    folder: Path,
    name: str,
    *,
    upgrade_then: Sequence[str] = (),
    downgrade_then: Sequence[str] = (),
) -> tuple[Callable[[], None], Callable[[], None]]:
    """``upgrade`` and ``downgrade`` of a revision written in SQL: ``<name>.sql`` and
    ``<name>.down.sql`` in ``folder``, each followed by the scripts named in ``upgrade_then``
    or ``downgrade_then`` (e.g. a downgrade that creates the previous revision's functions
    again runs the very files that revision created them from)."""

    def upgrade() -> None:
        for script in (name, *upgrade_then):
            run_script(folder / f"{script}.sql")

    def downgrade() -> None:
        run_script(folder / f"{name}.down.sql")
        for script in downgrade_then:
            run_script(folder / f"{script}.sql")

    return upgrade, downgrade


def run_script(path: Path) -> None:
    """Run a ``.sql`` file (any number of statements, PL/pgSQL bodies included) in the
    revision's transaction, ``{schema}`` replaced by the schema's name. The driver sends it
    as one simple query, so PostgreSQL itself splits the statements."""
    script = path.read_text(encoding="utf-8").replace(SCHEMA_PLACEHOLDER, schema())
    driver: Any = op.get_bind().connection.dbapi_connection  # SQLAlchemy's asyncpg adapter
    driver.run_async(lambda raw: raw.execute(script))
