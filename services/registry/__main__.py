"""``python -m services.registry [serve|migrate|relay]``: the registry's processes."""

from __future__ import annotations

import asyncio
import signal

import typer

from services.common.commands import logged, serve_http, service_cli
from services.registry.config import RegistrySettings

cli = service_cli("Remit registry (write side).")


@cli.command()
def serve(migrate_first: bool = True) -> None:
    """Serve the HTTP API (and run the outbox relay in-process unless REMIT_RUN_RELAY=false)."""
    from services.registry.entrypoints.app import create_app

    settings = RegistrySettings()
    if migrate_first:
        migrate()
    serve_http("registry", settings, lambda: create_app(settings), settings.port)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (safe to run from several processes at once)."""
    from services.registry.migrations import migrate as run_migrations

    settings = logged("registry", RegistrySettings())
    asyncio.run(run_migrations(settings.database_dsn, settings.db_schema))
    typer.echo(f"registry schema {settings.db_schema!r} is up to date")


@cli.command()
def relay() -> None:
    """Run only the outbox relay until SIGINT or SIGTERM (several may run; one is active)."""
    settings = logged("relay", RegistrySettings())
    asyncio.run(_relay(settings))


async def _relay(settings: RegistrySettings) -> None:
    from services.registry.adapters.relay import run_relay

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_relay(settings, stop)


if __name__ == "__main__":
    cli()
