"""Generate docs/configuration.md from the services' pydantic-settings classes.

    python tools/compose/config_table.py           # rewrite docs/configuration.md
    python tools/compose/config_table.py --check   # exit 1 if the file is stale

Each process reads ``REMIT_`` + the upper-cased field name. The meaning of a variable is the
field's ``Field(description=...)`` if it has one, else the entry in :data:`MEANINGS`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from pydantic import SecretStr
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"

SETTINGS_MODULES: dict[str, tuple[str, ...]] = {
    "registry": ("services.registry.config",),
    "projections": ("services.projections.config",),
    "notifier": ("services.notifier.config",),
    "cli": ("services.cli.main", "services.cli"),
}
"""Where each process's settings class lives (first module that exists wins)."""

MEANINGS: dict[str, str] = {
    "environment": "`development` or `production`; production refuses unsafe defaults",
    "log_level": "Log level of the JSON logs",
    "jwt_secret": "HS256 key of development tokens (at least 32 characters); HS256 tokens are "
    "refused in production, whatever the key",
    "jwt_issuer": "`iss` claim issued and required",
    "jwt_audience": "`aud` claim issued and required",
    "database_url": "SQLAlchemy URL of PostgreSQL (`postgresql+asyncpg://user:pw@host:port/db`)",
    "db_schema": "PostgreSQL schema that holds this service's tables",
    "db_pool_size": "Connections kept in the pool",
    "db_max_overflow": "Extra connections allowed above the pool size",
    "kafka_bootstrap": "Kafka bootstrap servers (`host:port[,host:port]`)",
    "events_topic": "Topic of the domain events",
    "dlq_topic": "Topic that receives events that could not be processed",
    "kafka_request_timeout_ms": "Kafka producer request timeout",
    "consumer_group": "Kafka consumer group id",
    "consumer_batch_size": "Most records taken from Kafka per batch",
    "batch_max_records": "Most records taken from Kafka per batch",
    "poll_timeout_ms": "How long one Kafka poll waits for records",
    "retry_backoff_s": "Pause before retrying after a failure of PostgreSQL or Kafka",
    "sequencer_batch_size": "Most events given global positions per sequencer pass",
    "sequencing_timeout_s": "How long a write waits for its events to be sequenced",
    "sequencing_retry_s": "Pause between sequencing attempts",
    "relay_batch_size": "Most events published to Kafka per outbox-relay batch",
    "relay_poll_interval_s": "Pause of the outbox relay when there is nothing to publish",
    "relay_lock_retry_s": "How often a standby relay tries to become the active one",
    "relay_backoff_initial_s": "First back-off of the relay after a Kafka error",
    "relay_backoff_max_s": "Longest back-off of the relay after repeated Kafka errors",
    "run_relay": "Run the outbox relay inside the API process",
    "run_consumer": "Run the Kafka consumer inside the API process",
    "run_workers": "Run the delivery workers inside the API process",
    "host": "Address the HTTP server binds (use `0.0.0.0` in a container)",
    "port": "Port of the HTTP API",
    "max_body_bytes": "Largest request body accepted",
    "feed_requires_auth": "Require a bearer token to read the event feed",
    "min_position_max_wait_s": "Longest wait of a read that asks for a minimum event position",
    "min_position_poll_s": "Poll interval while such a read waits",
    "rebuild_batch_size": "Events per batch when a read model is rebuilt",
    "smtp_host": "SMTP server for email notifications",
    "smtp_port": "SMTP port",
    "smtp_from": "Sender address of notification emails",
    "smtp_timeout_s": "SMTP connect and send timeout",
    "ops_email": "Address told when a subscription is disabled (none: nobody)",
    "retry_schedule_s": "Delays between delivery attempts (JSON list of seconds)",
    "retry_jitter": "Random fraction added to each retry delay",
    "max_retry_after_s": "Longest `Retry-After` from a webhook receiver that is honoured",
    "http_timeout_s": "Webhook request timeout",
    "disable_after_s": "A subscription failing for this long is disabled",
    "secret_overlap_default_s": "How long the old webhook signing secret stays valid after "
    "rotation",
    "workers": "Concurrent delivery workers",
    "max_in_flight_per_subscription": "Deliveries in flight at once for one subscription",
    "worker_poll_s": "Pause of an idle delivery worker",
    "webhook_allow_hosts": "Webhook hosts allowed despite the address rules (JSON list)",
    "webhook_allow_networks": "Networks (CIDR) allowed despite the address rules (JSON list)",
    "webhook_require_https": "Refuse `http://` webhook URLs; must be true in production",
    "registry_url": "Base URL of the registry",
    "projections_url": "Base URL of the projections service",
    "notifier_url": "Base URL of the notifier",
}


def settings_module(service: str) -> ModuleType | None:
    """The service's settings module, or None while it has not been written."""
    for name in SETTINGS_MODULES[service]:
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            return importlib.import_module(name)
    return None


def settings_class(service: str) -> type[BaseSettings] | None:
    """The one ``BaseSettings`` subclass defined in the service's settings module."""
    module = settings_module(service)
    if module is None:
        return None
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise LookupError(f"{module.__name__}: expected one settings class, found {found}")
    return found[0]


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """``REMIT_X`` -> field name, for every field of ``cls``."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper(): name for name in cls.model_fields}


def _default(cls: type[BaseSettings], name: str) -> str:
    field = cls.model_fields[name]
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        return "development default (refused in production)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _type(cls: type[BaseSettings], name: str) -> str:
    annotation = cls.model_fields[name].annotation
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("|", "\\|")


def section(service: str) -> str:
    cls = settings_class(service)
    if cls is None:
        return f"## {service}\n\nNo settings class yet.\n"
    rows = [
        "| Variable | Type | Default | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    for env, name in env_names(cls).items():
        meaning = cls.model_fields[name].description or MEANINGS.get(name, "")
        row = f"| `{env}` | {_type(cls, name)} | {_default(cls, name)} | {meaning} |"
        rows.append(row)
    title = f"## {service}: `{cls.__module__}.{cls.__qualname__}`"
    return "\n".join([title, "", *rows, ""])


HEADER = """# Configuration

<!-- Generated by `python tools/compose/config_table.py` from the settings classes; do not edit.
     tests/unit/deploy/test_configuration_doc.py fails when this file is stale. -->

Every process reads its settings from environment variables named `REMIT_` + the field name in
upper case (pydantic-settings; values of lists and tuples are JSON). The defaults are for
development on one machine; `REMIT_ENVIRONMENT=production` refuses the unsafe ones (HS256
tokens, plain-HTTP webhooks, a plain-HTTP JWKS URL, test hooks). What each security setting
defends: [security.md](security.md). `docker-compose.yml` sets the values a
container needs; see [compose.md](compose.md).

## Decisions

**Who may read the event feed** (`REMIT_EVENTS_ACCESS`, registry and projections). Default
`public`: the registry's `GET /v1/events` and `GET /v1/streams/{id}` need no token, and every
event carries its `actor`, `correlation_id` and `causation_id`, in the feed and in the
projections' answers. The register is open government data, and who recorded a fact, in which
request, is part of that fact's provenance. A deployment where the actors are personal data,
or where correlation ids must not leave the organisation, sets `token` on both services: the
feed then needs a token with the `events:read` scope (401 without one, 403 without the scope),
and the projections, which stay public, leave `actor`, `correlation_id` and `causation_id` out
of every answer and page. The two services must agree. `REMIT_FEED_REQUIRES_AUTH=true` is the
registry's deprecated spelling of `token`; the projections know only `REMIT_EVENTS_ACCESS`.
"""


def render() -> str:
    return "\n".join([HEADER, *(section(service) for service in SETTINGS_MODULES)])


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run python tools/compose/config_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
