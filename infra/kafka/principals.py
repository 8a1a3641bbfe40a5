"""Who may do what on the local broker: one principal per Remit service, an example integrator.

With authentication on (the default; ``REMIT_KAFKA_AUTH=0`` turns it off), the broker accepts
only SASL clients. ``admin`` is the super user that creates topics and principals: defined in
the broker's own configuration for SASL/PLAIN (how the broker reaches its controller and how
the Java program below logs in), and a SCRAM user too, as which Python clients log in. Every
other principal is a SCRAM-SHA-512 user with ACLs for exactly what it needs (docs/security.md):

- ``registry``: write and describe the events topic (the outbox relay's idempotent producer);
- ``projections`` / ``notifier``: read the events topic in their own consumer group, write the
  dead-letter topic;
- ``integrator-example``: read the events topic, in consumer groups named
  ``integrator-example.<anything>``; nothing else (no write, no DLQ, no internal topics).

Passwords are made up on first use and kept in ``<state>/kafka/principals.json`` (mode 0600).
docker-compose.yml's ``kafka-init`` job sets the same principals and ACLs (a copy of this list
that ``python -m tools.compose.kafka_init`` writes and CI compares).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from services.common.kafka import KafkaSettings

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "Principals.java"
ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"
EXAMPLE_INTEGRATOR = "integrator-example"
EVENTS, DLQ = "remit.events", "remit.events.dlq"


@dataclass(frozen=True)
class Grant:
    resource: str  # "topic" or "group"
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"  # or "prefixed"


@dataclass(frozen=True)
class Principal:
    name: str
    grants: tuple[Grant, ...]


def _consumer_groups() -> dict[str, str]:
    from services.notifier.config import NotifierSettings
    from services.projections.config import ProjectionsSettings

    return {
        "projections": str(ProjectionsSettings.model_fields["consumer_group"].default),
        "notifier": str(NotifierSettings.model_fields["consumer_group"].default),
    }


def service_principals(
    events: str = EVENTS, dlq: str = DLQ, names: dict[str, str] | None = None
) -> tuple[Principal, ...]:
    """The three services' principals; ``names`` renames them (tests use fresh ones)."""
    names = names or {}
    read = Grant("topic", events, ("READ", "DESCRIBE"))
    dead_letters = Grant("topic", dlq, ("WRITE", "DESCRIBE"))
    groups = _consumer_groups()
    return (
        Principal(
            names.get("registry", "registry"), (Grant("topic", events, ("WRITE", "DESCRIBE")),)
        ),
        *(
            Principal(
                names.get(service, service),
                (read, Grant("group", groups[service], ("READ",)), dead_letters),
            )
            for service in ("projections", "notifier")
        ),
    )


def integrator(name: str, events: str = EVENTS) -> Principal:
    """An integrating organisation: consume the events topic, in groups ``<name>.*``, only."""
    return Principal(
        name,
        (
            Grant("topic", events, ("READ", "DESCRIBE")),
            Grant("group", f"{name}.", ("READ",), "prefixed"),
        ),
    )


def standard() -> tuple[Principal, ...]:
    return (*service_principals(), integrator(EXAMPLE_INTEGRATOR))


def passwords_file(settings: Settings) -> Path:
    return settings.kafka_dir / "principals.json"


def passwords(settings: Settings, *extra: str) -> dict[str, str]:
    """The local broker's passwords by principal (the standard ones and ``extra``), made up
    (and kept) on first use."""
    path = passwords_file(settings)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = [ADMIN, *(p.name for p in standard()), *extra]
    if all(name in known for name in wanted):
        return known
    known |= {name: secrets.token_urlsafe(24) for name in wanted if name not in known}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(known, handle, indent=2)
    return known


def client(settings: Settings, name: str = ADMIN, mechanism: str = MECHANISM) -> KafkaSettings:
    """How principal ``name`` connects to the local broker (plaintext when auth is off).

    Clients use SCRAM; ``PLAIN`` is for the administrator only, checked against the broker's
    configuration, and used here only by the Java program that creates principals."""
    bootstrap = settings.kafka_bootstrap
    if not settings.kafka_auth:
        return KafkaSettings(kafka_bootstrap=bootstrap, kafka_security_protocol="PLAINTEXT")
    return KafkaSettings(
        kafka_bootstrap=bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=mechanism,
        kafka_username=name,
        kafka_password=passwords(settings)[name],
    )


def java_client_properties(kafka: KafkaSettings) -> dict[str, str]:
    """The same connection as Java Admin client properties."""
    props = {
        "bootstrap.servers": kafka.kafka_bootstrap,
        "security.protocol": kafka.kafka_security_protocol,
    }
    if kafka.kafka_security_protocol.startswith("SASL_"):
        assert kafka.kafka_password is not None
        module = (
            "org.apache.kafka.common.security.plain.PlainLoginModule"
            if kafka.kafka_sasl_mechanism == "PLAIN"
            else "org.apache.kafka.common.security.scram.ScramLoginModule"
        )
        password = kafka.kafka_password.get_secret_value()
        props["sasl.mechanism"] = kafka.kafka_sasl_mechanism
        props["sasl.jaas.config"] = (
            f'{module} required username="{kafka.kafka_username}" password="{password}";'
        )
    if kafka.kafka_ssl_cafile:
        props["ssl.truststore.type"] = "PEM"
        props["ssl.truststore.location"] = kafka.kafka_ssl_cafile
    return props


def acl_bindings(principals: Iterable[Principal]) -> list[dict[str, str]]:
    """One ALLOW binding per principal, resource and operation, as Kafka's Admin API names
    them; also what the compose ``kafka-init`` job sets (tools/compose/kafka_init.py)."""
    return [
        {
            "principal": f"User:{p.name}",
            "resource_type": g.resource.upper(),
            "name": g.name,
            "pattern_type": g.pattern.upper(),
            "operation": op,
        }
        for p in principals
        for g in p.grants
        for op in g.operations
    ]


def grant(admin: KafkaSettings, principals: dict[Principal, str]) -> str:
    """Create or update each principal (SCRAM, with its password) and set its ACLs to exactly
    its grants, as ``admin``; returns the program's summary line."""
    from infra.kafka.server import LOG4J2, resolve

    spec: dict[str, Any] = {
        "client": java_client_properties(admin),
        "users": [
            {"name": p.name, "password": pw, "mechanism": MECHANISM} for p, pw in principals.items()
        ],
        "acls": acl_bindings(principals),
    }
    java = ["java", "-cp", f"{resolve()}/*", f"-Dlog4j2.configurationFile={LOG4J2}"]
    done = subprocess.run(
        [*java, str(PROGRAM)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    summary = [line for line in done.stdout.splitlines() if line.startswith("principals:")]
    if done.returncode != 0 or not summary:
        raise RuntimeError(f"could not set Kafka principals:\n{done.stdout[-3000:]}{done.stderr}")
    return summary[-1]


def ensure(settings: Settings) -> str | None:
    """The standard principals on the local broker (nothing when auth is off)."""
    if not settings.kafka_auth:
        return None
    known = passwords(settings)
    principals = {p: known[p.name] for p in standard()}
    return grant(client(settings, mechanism="PLAIN"), principals)


def add_integrator(settings: Settings, name: str) -> KafkaSettings:
    """A principal for an integrating organisation on the local broker; how it connects."""
    if not settings.kafka_auth:
        raise RuntimeError("the broker runs without authentication (REMIT_KAFKA_AUTH=0)")
    password = passwords(settings, name)[name]
    grant(client(settings, mechanism="PLAIN"), {integrator(name): password})
    return client(settings, name)


def bootstrap_admin(settings: Settings) -> str:
    """The administrator's SCRAM credential, for a log dir formatted before auth was on."""
    admin = Principal(ADMIN, ())
    return grant(client(settings, mechanism="PLAIN"), {admin: passwords(settings)[ADMIN]})


def env_lines(settings: Settings, name: str = ADMIN) -> list[str]:
    """``export REMIT_KAFKA_*=...`` lines for a shell acting as ``name``."""
    import shlex

    from services.common.kafka import environment

    env = environment(client(settings, name))
    return [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
