"""``python -m services.projections [serve|consume|migrate|rebuild|checksum]``.

``serve`` (the default) runs the JSON API on ``REMIT_PORT`` and the pages for people on
``REMIT_PAGES_PORT`` (0: none), with the consumer, in one process.
"""

from __future__ import annotations

import asyncio
import sys

import structlog
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.observability import configure_logging
from services.projections.adapters import store
from services.projections.adapters.kafka import KafkaDeadLetterPublisher
from services.projections.bootstrap import bootstrap
from services.projections.config import ProjectionsSettings
from services.projections.service_layer import rebuild as rebuilding

log = structlog.get_logger(__name__)


async def run_rebuild(settings: ProjectionsSettings) -> str:
    """Rebuild the read model from the topic into a new schema and switch readers to it."""
    engine = create_async_engine(settings.database_dsn)
    publisher = KafkaDeadLetterPublisher(settings)
    await publisher.start()
    try:
        return await rebuilding.rebuild(settings, engine, publisher)
    finally:
        await publisher.stop()
        await engine.dispose()


async def checksum(settings: ProjectionsSettings, schema: str | None = None) -> str:
    """Deterministic hash of the active read model (or of ``schema``)."""
    engine = create_async_engine(settings.database_dsn)
    try:
        async with engine.connect() as conn:
            schema = schema or await store.active_schema(conn, settings.db_schema)
            return await store.checksum(conn, schema)
    finally:
        await engine.dispose()


async def migrate(settings: ProjectionsSettings) -> str:
    """Create the control schema and a first (empty) data schema if missing; idempotent."""
    engine = create_async_engine(settings.database_dsn)
    try:
        return await store.ensure(engine, settings.db_schema)
    finally:
        await engine.dispose()


async def consume(settings: ProjectionsSettings) -> None:
    """Run only the consumer (no HTTP) until cancelled."""
    wired = bootstrap(settings)
    await wired.start(run_consumer=False)
    try:
        await wired.runner.run()
    finally:
        await wired.close()


def main(argv: list[str]) -> int:
    settings = ProjectionsSettings()
    command = argv[0] if argv else "serve"
    configure_logging("projections", settings.log_level)
    if command == "serve":
        from services.projections.entrypoints.serve import serve

        return serve(settings)
    elif command == "consume":
        asyncio.run(consume(settings))
    elif command == "migrate":
        print(asyncio.run(migrate(settings)))
    elif command == "rebuild":
        print(asyncio.run(run_rebuild(settings)))
    elif command == "checksum":
        print(asyncio.run(checksum(settings)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0
