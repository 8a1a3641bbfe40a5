"""docker-compose.yml's security, checked without a Docker engine: the broker asks every client
to log in and denies what no ACL allows, each client logs in as its own principal, kafka-init
sets the native stack's ACLs, and tokens are checked against the keys job's JWKS.

tests/compose runs the same file for real (SASL, ACLs, production tokens).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import pytest

from infra.kafka.principals import ADMIN, standard
from tests.unit.deploy import support
from tools.compose import kafka_init, keys

SERVICES = support.compose()["services"]
RAW = support.raw_compose()["services"]
PRINCIPAL_OF = {
    "init": ADMIN,
    "registry": "registry",
    "projections": "projections",
    "notifier": "notifier",
    "integrator-example": "integrator-example",
}
"""Compose service -> the Kafka principal it logs in as."""


def password_variable(user: str) -> str:
    """The .env variable of a principal's password (what kafka-init.sh reads)."""
    return f"KAFKA_{user.upper().replace('-', '_')}_PASSWORD"


def broker_properties() -> dict[str, str]:
    """The kafka service's KAFKA_* variables as the Kafka image turns them into properties:
    strip KAFKA_, lower case, ``___`` is ``-``, ``__`` is ``_``, ``_`` is ``.``."""
    props = {}
    for name, value in support.environment(SERVICES["kafka"]).items():
        if not name.startswith("KAFKA_") or name.endswith("_OPTS"):
            continue
        key = name.removeprefix("KAFKA_").lower()
        key = key.replace("___", "-").replace("__", "\0").replace("_", ".").replace("\0", "_")
        props[key] = value
    return props


def volumes(service: dict[str, Any]) -> dict[str, str]:
    """``volume:target[:mode]`` mounts of a service: target -> ``volume[:mode]``."""
    mounts = {}
    for mount in service.get("volumes", []):
        source, target, *mode = mount.split(":")
        mounts[target] = ":".join([source, *mode])
    return mounts


def test_kafka_init_sets_the_native_stacks_principals_and_acls() -> None:
    script = kafka_init.SCRIPT.read_text(encoding="utf-8")
    assert script == kafka_init.render(script), (
        "tools/compose/kafka-init.sh is stale: run python -m tools.compose.kafka_init"
    )
    assert f"USERS=({' '.join([ADMIN, *(p.name for p in standard())])})" in script


def test_kafka_init_runs_the_script_in_the_kafka_image_with_every_password() -> None:
    job = SERVICES["kafka-init"]
    assert job["image"] == SERVICES["kafka"]["image"]
    assert job["command"] == ["bash", "/remit/kafka-init.sh"]
    assert volumes(job)["/remit/kafka-init.sh"] == "./tools/compose/kafka-init.sh:ro"
    env = RAW["kafka-init"]["environment"]
    for user in [ADMIN, *(p.name for p in standard())]:
        variable = password_variable(user)
        assert env[variable].startswith(f"${{{variable}:?"), f"{variable} needs no default"


def test_the_broker_asks_every_client_to_log_in() -> None:
    props = broker_properties()
    protocols = dict(item.split(":") for item in props["listener.security.protocol.map"].split(","))
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}, "an anonymous listener"
    listeners = {item.split("://")[0] for item in props["listeners"].split(",")}
    assert listeners == set(protocols)
    client = props["inter.broker.listener.name"].lower()
    assert props[f"listener.name.{client}.sasl.enabled.mechanisms"] == "SCRAM-SHA-512,PLAIN"
    assert props["sasl.mechanism.inter.broker.protocol"] == "PLAIN"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    secret = support.SECRETS_ENV["KAFKA_ADMIN_PASSWORD"]
    for listener in protocols:
        jaas = props[f"listener.name.{listener.lower()}.plain.sasl.jaas.config"]
        # the PLAIN login knows the administrator only, with the .env password
        assert re.findall(r'(\w+)="([^"]*)"', jaas) == [
            ("username", ADMIN),
            ("password", secret),
            (f"user_{ADMIN}", secret),
        ]


def test_the_broker_allows_only_what_an_acl_allows() -> None:
    props = broker_properties()
    assert props["authorizer.class.name"].endswith(".StandardAuthorizer")
    assert props["super.users"] == f"User:{ADMIN}"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["auto.create.topics.enable"] == "false"


def test_the_broker_health_check_logs_in() -> None:
    test = SERVICES["kafka"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    login = "KAFKA_LISTENER_NAME_BROKER_PLAIN_SASL_JAAS_CONFIG"
    assert f"$${login}" in RAW["kafka"]["healthcheck"]["test"][1]
    assert login in SERVICES["kafka"]["environment"]
    assert "--command-config /dev/stdin" in test[1] and "sasl.mechanism=PLAIN" in test[1]


@pytest.mark.parametrize("name", sorted(PRINCIPAL_OF))
def test_each_kafka_client_logs_in_as_its_own_principal(name: str) -> None:
    env = support.environment(SERVICES[name])
    principal = PRINCIPAL_OF[name]
    assert env["REMIT_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert env["REMIT_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert env["REMIT_KAFKA_USERNAME"] == principal
    variable = password_variable(principal)
    assert RAW[name]["environment"]["REMIT_KAFKA_PASSWORD"].startswith(f"${{{variable}:?")


def test_no_other_service_talks_to_kafka() -> None:
    talking = {n for n, s in SERVICES.items() if "REMIT_KAFKA_BOOTSTRAP" in support.environment(s)}
    assert talking == set(PRINCIPAL_OF)


@pytest.mark.parametrize("name", support.HTTP_SERVICES)
def test_services_run_in_production_with_the_keys_jobs_jwks(name: str) -> None:
    env = support.environment(SERVICES[name])
    assert env["REMIT_ENVIRONMENT"] == "production"
    assert "REMIT_JWT_SECRET" not in env
    jwks = PurePosixPath(env["REMIT_JWT_JWKS"])
    assert volumes(SERVICES[name])[str(jwks.parent)] == "jwks:ro"
    assert volumes(SERVICES["keys"])[str(jwks.parent)] == "jwks"
    assert jwks == PurePosixPath(keys.JWKS_FILE)


def test_only_the_keys_job_and_the_import_see_the_private_key() -> None:
    holders = {
        name: volumes(service)[str(keys.KEY_DIR)]
        for name, service in SERVICES.items()
        if str(keys.KEY_DIR) in volumes(service)
    }
    assert holders == {"keys": "signing-keys", "import-smith": "signing-keys:ro"}
    signing_key = support.environment(SERVICES["import-smith"])["REMIT_JWT_SIGNING_KEY"]
    assert PurePosixPath(signing_key) == PurePosixPath(keys.KEY_DIR, keys.KEY_NAME)


def test_the_signer_and_the_services_agree_on_issuer_and_audience() -> None:
    for claim in ("REMIT_JWT_ISSUER", "REMIT_JWT_AUDIENCE"):
        values = {
            name: support.environment(SERVICES[name])[claim]
            for name in (*support.HTTP_SERVICES, "import-smith")
        }
        assert len(set(values.values())) == 1, values


def test_every_remit_process_runs_in_production() -> None:
    for name, service in SERVICES.items():
        env = support.environment(service)
        if "REMIT_JWT_ISSUER" in env:
            assert env["REMIT_ENVIRONMENT"] == "production", name


IDP = support.ROOT / "docker-compose.idp.yml"
IDP_ENV = {
    "REMIT_JWT_JWKS": "https://idp.example.org/.well-known/jwks.json",
    "REMIT_JWT_ISSUER": "https://idp.example.org/",
    "REMIT_JWT_AUDIENCE": "remit-api",
}


def test_the_identity_provider_file_needs_its_three_settings() -> None:
    raw = support.raw_compose(IDP)
    merged = support.interpolate(raw, IDP_ENV)
    for name in support.HTTP_SERVICES:
        assert merged["services"][name]["environment"] == IDP_ENV
    for missing in IDP_ENV:
        with pytest.raises(support.MissingVariable, match=missing):
            support.interpolate(raw, {k: v for k, v in IDP_ENV.items() if k != missing})


def test_the_identity_provider_file_disables_the_keys_job_and_the_import() -> None:
    services = support.raw_compose(IDP)["services"]
    for name in ("keys", "import-smith"):
        assert services[name]["profiles"], f"{name} would still run on up"
    for name in (*support.HTTP_SERVICES, "import-smith"):
        assert services[name]["depends_on"]["keys"]["required"] is False
