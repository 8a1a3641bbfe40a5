"""What every service's ``python -m services.<name>`` shares: a typer app whose default command
serves the HTTP API, and how to serve it (JSON logs, uvicorn without its own log config)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
import uvicorn
from fastapi import FastAPI

from services.common.observability import configure_logging
from services.common.settings import ServiceSettings


def service_cli(help_text: str, default: str = "serve") -> typer.Typer:
    """A typer app that runs its command ``default`` when none is given."""
    cli = typer.Typer(help=help_text, no_args_is_help=False, add_completion=False)

    @cli.callback(invoke_without_command=True)
    def run_default(ctx: typer.Context) -> None:
        group: Any = ctx.command
        if ctx.invoked_subcommand is None:
            ctx.invoke(group.get_command(ctx, default))

    return cli


def serve_http(
    service: str, settings: ServiceSettings, app: Callable[[], FastAPI], port: int
) -> None:
    """Serve ``app()`` on ``settings.host:port`` until interrupted."""
    configure_logging(service, settings.log_level)
    uvicorn.run(app(), host=settings.host, port=port, log_config=None)


S = TypeVar("S", bound=ServiceSettings)


def logged(service: str, settings: S) -> S:
    """``settings``, once JSON logs are configured for a one-shot command."""
    configure_logging(service, settings.log_level)
    return settings
