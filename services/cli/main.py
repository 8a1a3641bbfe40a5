"""``remit``: the operator's command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic_settings import SettingsConfigDict

from services.common.auth import AuthSettings, issue_token

app = typer.Typer(
    help="Operate Remit: import datasets, mint development tokens.", no_args_is_help=True
)


class CliSettings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    registry_url: str = "http://127.0.0.1:8001"
    projections_url: str = "http://127.0.0.1:8002"
    notifier_url: str = "http://127.0.0.1:8003"


def _settings() -> CliSettings:
    return CliSettings()


@app.command("token")
def token(
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="Scope to grant (repeat).")],
    organisation: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for.")] = "operator",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Issue a development JWT signed with REMIT_JWT_SECRET."""
    typer.echo(issue_token(_settings(), subject, scope, organisation, ttl))


@app.command("import")
def import_dataset(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Dataset YAML.")],
    registry_url: Annotated[str | None, typer.Option(help="Registry base URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Load a dataset through the registry API; importing twice appends nothing the second time."""
    from services.registry.dataset import load_dataset
    from services.registry.importer import import_commands

    settings = _settings()
    dataset = load_dataset(path)
    bearer = issue_token(settings, "remit-import", ["registry:write"])
    with httpx.Client(
        base_url=registry_url or settings.registry_url,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    ) as client:
        with typer.progressbar(length=len(dataset.commands), label="Importing") as bar:
            summary = import_commands(client, dataset, progress=bar.update)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        typer.echo(
            f"{summary.commands} commands: {summary.appended} events appended, "
            f"{summary.replayed} already imported; head position {summary.position}"
        )
    if summary.failures:
        for failure in summary.failures:
            typer.echo(failure, err=True)
        sys.exit(1)
