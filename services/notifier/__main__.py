"""``python -m services.notifier [serve|migrate]``: the API (its lifespan runs the consumer and
the delivery workers), or only create/upgrade the notifier's tables and exit."""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.observability import configure_logging
from services.notifier.adapters import db
from services.notifier.config import NotifierSettings


async def migrate(settings: NotifierSettings) -> None:
    engine = create_async_engine(settings.database_dsn)
    try:
        await db.migrate(engine, settings.db_schema)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    settings = NotifierSettings()
    command = argv[0] if argv else "serve"
    configure_logging("notifier", settings.log_level)
    if command == "serve":
        from services.notifier.entrypoints.app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
    elif command == "migrate":
        asyncio.run(migrate(settings))
        print(f"notifier schema {settings.db_schema!r} is up to date")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
