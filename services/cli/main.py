"""``remit``: import datasets, follow events, manage subscriptions and deliveries, check status."""

from __future__ import annotations

import json
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.cli.output import check, emit, fail
from services.cli.tokens import signing_key, token_app
from services.cli.wiring import wiring
from services.common.auth import AuthSettings, issue_token
from services.common.kafka import KafkaSettings

app = typer.Typer(help="Operate Remit.", no_args_is_help=True)
events_app = typer.Typer(help="The event topic.", no_args_is_help=True)
subscriptions_app = typer.Typer(help="Alert subscriptions (notifier).", no_args_is_help=True)
deliveries_app = typer.Typer(help="Alert deliveries (notifier).", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters of the consumers.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(events_app, name="events")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(dlq_app, name="dlq")

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OrgOption = Annotated[
    str | None, typer.Option("--org", help="Act for this organisation (else admin).")
]


class CliSettings(AuthSettings, KafkaSettings):
    model_config = SettingsConfigDict(env_prefix="REMIT_", extra="ignore")

    registry_url: str = "http://127.0.0.1:8001"
    projections_url: str = "http://127.0.0.1:8002"
    notifier_url: str = "http://127.0.0.1:8003"
    jwt_signing_key: str | None = Field(
        default=None,
        description="PEM private key that `remit token` and the CLI sign tokens with (a"
        " development key pair whose JWKS the services read); none: HS256, development only",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token the CLI sends (e.g. from the identity provider) instead of"
        " minting one",
    )


def _settings() -> CliSettings:
    return CliSettings()


def _client(
    base_url: str,
    scopes: list[str],
    org: str | None = None,
    admin: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A client with a token for ``org``, or (without one) an operator's admin token; or with
    ``REMIT_TOKEN`` as it is."""
    settings = _settings()
    scopes = [*scopes, "admin"] if admin and org is None else scopes
    if settings.token is not None:
        token = settings.token.get_secret_value()
    else:
        key = signing_key(settings, settings.jwt_signing_key)
        token = issue_token(settings, "remit-cli", scopes, org, key=key)
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        transport=transport,
    )


@app.command("import")
def import_dataset(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Dataset YAML.")],
    registry_url: Annotated[str | None, typer.Option(help="Registry base URL.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a dataset through the registry API; importing twice appends nothing the second time."""
    from services.registry.dataset import DatasetError, load_dataset
    from services.registry.importer import import_commands

    try:
        dataset = load_dataset(path)
    except DatasetError as exc:
        fail(str(exc), 2)
    with _client(
        registry_url or _settings().registry_url, ["registry:write"], admin=False
    ) as client:
        with typer.progressbar(
            length=len(dataset.commands), label="Importing", file=sys.stderr
        ) as bar:
            try:
                summary = import_commands(client, dataset, progress=bar.update)
            except httpx.HTTPError as exc:
                fail(f"registry unreachable: {exc}")
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        typer.echo(
            f"{summary.commands} commands: {summary.appended} events appended, "
            f"{summary.replayed} already imported; head position {summary.position}"
        )
    if summary.failures:
        fail("; ".join(summary.failures))


@events_app.command("tail")
def events_tail(
    from_beginning: Annotated[bool, typer.Option(help="Start at the first record.")] = False,
    limit: Annotated[int, typer.Option(help="Stop after this many records (0: follow).")] = 0,
    topic: Annotated[str, typer.Option(help="Topic to follow.")] = "remit.events",
    as_json: JsonFlag = False,
) -> None:
    """Follow the event topic, one line per event."""
    import asyncio

    from services.cli.tail import tail

    asyncio.run(tail(_settings(), topic, from_beginning, limit, as_json))


@app.command("rebuild")
def rebuild() -> None:
    """Rebuild the projections' read models from the topic, switching readers atomically."""
    code = subprocess.call([sys.executable, "-m", "services.projections", "rebuild"])
    raise typer.Exit(code)


def _notifier_write(org: str | None, method: str, path: str, **options: Any) -> Any:
    """Ask the notifier for a change, with a ``subscriptions:write`` token for ``org``."""
    with _client(_settings().notifier_url, ["subscriptions:write"], org) as c:
        return check(c.request(method, path, **options))


@subscriptions_app.command("list")
def subscriptions_list(org: OrgOption = None, as_json: JsonFlag = False) -> None:
    """List subscriptions (one organisation's, or all with admin)."""
    with _client(_settings().notifier_url, ["subscriptions:read", "subscriptions:write"], org) as c:
        rows = check(c.get("/v1/subscriptions"))
    emit(rows, as_json, ("id", "organisation_id", "channel", "url", "email", "status"))


@subscriptions_app.command("add")
def subscriptions_add(
    org: Annotated[str, typer.Option("--org", help="Subscribing organisation.")],
    url: Annotated[str | None, typer.Option(help="Webhook URL.")] = None,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="Event type filter (wildcards).")
    ] = None,
    min_position: Annotated[
        int | None, typer.Option(help="Wait until the notifier has read this position.")
    ] = None,
    await_registration: Annotated[
        bool, typer.Option(help="Subscribe a body the notifier has not seen registered yet.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe an organisation by webhook or email; prints the signing secret once."""
    if (url is None) == (email is None):
        fail("give exactly one of --url and --email", 2)
    body: dict[str, object] = {
        "channel": "webhook" if url else "email",
        "event_types": event_type or [],
        "await_registration": await_registration,
    }
    body["url" if url else "email"] = url or email
    params = {"min_position": min_position} if min_position is not None else {}
    answer = _notifier_write(org, "POST", "/v1/subscriptions", json=body, params=params)
    emit(answer, as_json)


@subscriptions_app.command("remove")
def subscriptions_remove(subscription_id: str, org: OrgOption = None) -> None:
    """Delete a subscription."""
    _notifier_write(org, "DELETE", f"/v1/subscriptions/{subscription_id}")
    typer.echo(f"removed {subscription_id}")


@deliveries_app.command("list")
def deliveries_list(
    subscription_id: Annotated[str | None, typer.Option("--subscription")] = None,
    position: Annotated[int | None, typer.Option(help="Only the event at this position.")] = None,
    correlation_id: Annotated[str | None, typer.Option(help="Only events of this id.")] = None,
    org: OrgOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List deliveries with their attempts."""
    wanted = {
        "subscription_id": subscription_id,
        "event_position": position,
        "correlation_id": correlation_id,
    }
    params = {k: v for k, v in wanted.items() if v is not None}
    with _client(_settings().notifier_url, ["subscriptions:read", "subscriptions:write"], org) as c:
        rows = check(c.get("/v1/deliveries", params=params))
    rows = rows.get("items", rows) if isinstance(rows, dict) else rows
    emit(rows, as_json, ("id", "subscription_id", "status", "attempts", "next_attempt_at"))


@deliveries_app.command("recover")
def deliveries_recover(
    subscription_id: str,
    since: Annotated[str, typer.Option(help="ISO timestamp: requeue failures since then.")],
    org: OrgOption = None,
) -> None:
    """Requeue everything that failed for a subscription since a time."""
    path = f"/v1/subscriptions/{subscription_id}/recover"
    typer.echo(json.dumps(_notifier_write(org, "POST", path, params={"since": since})))


@deliveries_app.command("retry")
def deliveries_retry(delivery_id: str, org: OrgOption = None) -> None:
    """Send one delivery again now."""
    _notifier_write(org, "POST", f"/v1/deliveries/{delivery_id}/retry")
    typer.echo(f"requeued {delivery_id}")


class Service(StrEnum):
    projections = "projections"
    notifier = "notifier"


ServiceOption = Annotated[Service, typer.Option(help="Whose dead letters.")]
DLQ_COLUMNS = ("id", "kind", "position", "source_offset", "created_at", "acknowledged_at", "reason")


def _dlq_client(ctx: typer.Context, service: Service) -> httpx.Client:
    settings = _settings()
    base = settings.projections_url if service is Service.projections else settings.notifier_url
    return _client(base, ["admin"], transport=wiring(ctx).transport)


@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    service: ServiceOption = Service.projections,
    include_acknowledged: Annotated[
        bool, typer.Option("--all", help="Acknowledged ones too.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List a consumer's dead letters (records it could not decode or apply)."""
    params = {"include_acknowledged": "true"} if include_acknowledged else {}
    with _dlq_client(ctx, service) as c:
        body = check(c.get("/v1/dead-letters", params=params))
    if as_json:
        emit(body, True)
        return
    emit(body["items"], False, DLQ_COLUMNS)
    typer.echo(f"{body['unacknowledged']} unacknowledged ({service.value})")


@dlq_app.command("acknowledge")
def dlq_acknowledge(
    ctx: typer.Context,
    dead_letter_id: Annotated[int, typer.Argument(min=1, help="Dead letter id.")],
    service: ServiceOption = Service.projections,
) -> None:
    """Mark a dead letter as dealt with (the service stays degraded until none is open)."""
    with _dlq_client(ctx, service) as c:
        body = check(c.post(f"/v1/dead-letters/{dead_letter_id}/acknowledge"))
    state = "still degraded" if body.get("degraded") else "no open dead letters"
    typer.echo(f"acknowledged {dead_letter_id} ({service.value}: {state})")


@dlq_app.command("replay")
def dlq_replay(ctx: typer.Context, service: ServiceOption = Service.projections) -> None:
    """Projections only: rebuild the read model from the topic with the current code, then
    acknowledge the apply_error dead letters whose events the rebuilt model now holds. The
    others (undecodable, position gaps, events that still fail) stay open and are printed, and
    the exit code is then 1."""
    from services.cli.replay import replay

    if service is not Service.projections:
        fail("replay rebuilds the projections; notifier dead letters: fix, then acknowledge", 2)
    with _dlq_client(ctx, service) as c:
        code, fixed, remaining = replay(c, wiring(ctx))
    if code != 0:
        fail(f"rebuild failed (exit {code}); nothing acknowledged", code)
    typer.echo(f"rebuilt; acknowledged {len(fixed)}: {[d['id'] for d in fixed]}")
    if remaining:
        typer.echo(f"{len(remaining)} dead letters remain:")
        emit(remaining, False, DLQ_COLUMNS)
        raise typer.Exit(1)


@app.command("status")
def status(as_json: JsonFlag = False) -> None:
    """Each service's readiness, consumer lag and outbox backlog."""
    from services.cli.status import collect

    settings = _settings()
    report = collect(
        {
            "registry": settings.registry_url,
            "projections": settings.projections_url,
            "notifier": settings.notifier_url,
        }
    )
    emit(report, as_json, ("service", "ready", "detail", "lag", "backlog"))
    if any(not row["ready"] for row in report):
        raise typer.Exit(1)
