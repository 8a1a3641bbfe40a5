"""``python -m services.projections [serve|consume|migrate|rebuild|checksum]``."""

from __future__ import annotations

import asyncio

import typer

from services.common.commands import logged, service_cli
from services.projections import bootstrap
from services.projections.config import ProjectionsSettings

cli = service_cli("Remit projections (read side).")


@cli.command()
def serve() -> None:
    """Serve the read API on REMIT_PORT and the pages for people on REMIT_PAGES_PORT (0: none),
    from one read model (the lifespan runs the consumer unless REMIT_RUN_CONSUMER=false)."""
    from services.projections.entrypoints.serve import serve as serve_all

    raise typer.Exit(serve_all(logged("projections", ProjectionsSettings())))


@cli.command()
def consume() -> None:
    """Run only the consumer (no HTTP) until interrupted."""
    settings = logged("projections", ProjectionsSettings())
    asyncio.run(bootstrap.consume(settings))


@cli.command()
def migrate() -> None:
    """Migrate the control schema and create a first data schema if there is none."""
    settings = logged("projections", ProjectionsSettings())
    typer.echo(asyncio.run(bootstrap.migrate(settings)))


@cli.command()
def rebuild() -> None:
    """Rebuild the read model from the topic into a new schema, then switch readers to it."""
    settings = logged("projections", ProjectionsSettings())
    typer.echo(asyncio.run(bootstrap.rebuild(settings)))


@cli.command()
def checksum() -> None:
    """Print a deterministic hash of the active read model."""
    settings = logged("projections", ProjectionsSettings())
    typer.echo(asyncio.run(bootstrap.checksum(settings)))


if __name__ == "__main__":
    cli()
