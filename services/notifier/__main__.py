"""``python -m services.notifier [serve|migrate]``: the API (its lifespan runs the consumer and
the delivery workers), or only bring the notifier's schema to the last migration."""

from __future__ import annotations

import asyncio

import typer

from services.common.commands import logged, serve_http, service_cli
from services.notifier.config import NotifierSettings
from services.notifier.migrations import migrate as run_migrations

cli = service_cli("Remit notifier (alerts by webhook and e-mail).")


@cli.command()
def serve() -> None:
    """Serve the API; the consumer and the delivery workers run in-process unless turned off
    (REMIT_RUN_CONSUMER, REMIT_RUN_WORKERS)."""
    from services.notifier.entrypoints.app import create_app

    settings = NotifierSettings()
    serve_http("notifier", settings, lambda: create_app(settings), settings.port)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (safe to run from several processes at once)."""
    settings = logged("notifier", NotifierSettings())
    asyncio.run(run_migrations(settings.database_dsn, settings.db_schema, settings.consumer_group))
    typer.echo(f"notifier schema {settings.db_schema!r} is up to date")


if __name__ == "__main__":
    cli()
