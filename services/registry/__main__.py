"""``python -m services.registry [serve|migrate|relay]``: the registry's processes."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from services.common.observability import configure_logging
from services.registry.config import RegistrySettings

cli = typer.Typer(help="Remit registry (write side).", no_args_is_help=False)


@cli.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        serve()


@cli.command()
def serve(migrate_first: bool = True) -> None:
    """Serve the HTTP API (and run the outbox relay in-process unless REMIT_RUN_RELAY=false)."""
    settings = RegistrySettings()
    configure_logging("registry", settings.log_level)
    if migrate_first:
        migrate()
    from services.registry.entrypoints.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


@cli.command()
def migrate() -> None:
    """Apply database migrations (safe to run from several processes at once)."""
    from services.registry.migrations import migrate as run_migrations

    settings = RegistrySettings()
    asyncio.run(run_migrations(settings.database_dsn, settings.db_schema))


@cli.command()
def relay() -> None:
    """Run only the outbox relay (several may run; one is active at a time)."""
    from services.registry.adapters.relay import main

    asyncio.run(main())


if __name__ == "__main__":
    cli()
