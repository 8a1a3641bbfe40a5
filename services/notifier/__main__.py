"""``python -m services.notifier [serve|migrate|reencrypt-secrets|new-encryption-key]``: the API
(its lifespan runs the consumer and the delivery workers); only bring the notifier's schema to
the last migration; re-encrypt every stored webhook secret under the newest key; print a new
key for ``REMIT_WEBHOOK_ENCRYPTION_KEYS``."""

from __future__ import annotations

import asyncio

import typer

from services.common.commands import logged, serve_http, service_cli
from services.notifier.adapters.db import create_engine
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
    asyncio.run(_migrate(settings))
    typer.echo(f"notifier schema {settings.db_schema!r} is up to date")


async def _migrate(s: NotifierSettings) -> None:
    await run_migrations(s.database_dsn, s.db_schema, s.consumer_group, s.encryption_keys)


@cli.command("reencrypt-secrets")
def reencrypt_secrets() -> None:
    """Re-encrypt every stored webhook signing secret under the first key of
    REMIT_WEBHOOK_ENCRYPTION_KEYS (after migrating); then the other keys may be removed."""
    from services.notifier.adapters.resealing import Resealed, reseal_all
    from services.notifier.adapters.secret_box import SecretBox

    settings = logged("notifier", NotifierSettings())

    async def run() -> Resealed:
        await _migrate(settings)
        engine = create_engine(settings)
        try:
            return await reseal_all(engine, settings.db_schema, SecretBox(settings.encryption_keys))
        finally:
            await engine.dispose()

    done = asyncio.run(run())
    typer.echo(
        f"{done.resealed} secrets re-encrypted under the newest key, {done.current} already were"
    )
    if done.unreadable:
        ids = ", ".join(sorted(map(str, done.unreadable)))
        typer.echo(f"error: no key opens the secrets of subscriptions {ids}", err=True)
        raise typer.Exit(1)


@cli.command("new-encryption-key")
def new_encryption_key() -> None:
    """Print a new random key for REMIT_WEBHOOK_ENCRYPTION_KEYS (put it first to rotate)."""
    from services.notifier.adapters.secret_box import new_key

    typer.echo(new_key())


if __name__ == "__main__":
    cli()
