"""docker-compose.yml as Docker Compose itself reads it, with an operator's settings only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from infra.settings import REPO_ROOT
from services.notifier.adapters.secret_box import parse_keys
from tests.compose.stack import KEYS, PASSWORDS
from tools.podman import engine

OPERATOR_ENV = {name: f"operator-{name.lower()}" for name in (*PASSWORDS, *KEYS)}
BUILT = ("keys", "init", "registry", "projections", "notifier", "import-smith")
FILL_IN = (
    'python3 -c \'import pathlib, re, secrets; env = pathlib.Path(".env"); env.write_text(re.sub('
    'r"(?m)^(\\w+_PASSWORD|\\w+_KEYS)=$", lambda m: m[1] + "=" + secrets.token_urlsafe(32), '
    "env.read_text()))'"
)
"""How docs/compose.md and .env.example tell operators to fill in the passwords and keys."""


def config(
    *files: str, env: dict[str, str], project: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    argv = [str(engine.compose_binary()), "--project-directory", str(project)]
    for file in files:
        argv += ["-f", str(REPO_ROOT / file)]
    clean = {
        k: v
        for k, v in engine.environ().items()
        if not k.startswith(("REMIT_", "POSTGRES_", "KAFKA_", "COMPOSE_"))
    }
    return subprocess.run(
        [*argv, "config", "--format", "json"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        cwd=project,
    )


def loaded(*files: str, env: dict[str, str], project: Path = REPO_ROOT) -> dict[str, Any]:
    done = config(*files, env=env, project=project)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


BUILD_ARGS = {"PYTHON_IMAGE": "python:3.11-slim-bookworm", "NODE_IMAGE": "node:22-bookworm-slim"}


def test_operator_defaults_are_the_official_images_and_ports() -> None:
    services = loaded("docker-compose.yml", env=OPERATOR_ENV)["services"]
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["postgres"]["image"] == "postgres:18"
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    for name in BUILT:
        assert services[name]["build"]["args"] == BUILD_ARGS
    published = {
        name: [(p["host_ip"], p["published"], p["target"]) for p in services[name]["ports"]]
        for name in ("registry", "projections", "notifier", "mailpit")
    }
    assert published == {
        "registry": [("0.0.0.0", "8001", 8001)],
        "projections": [("0.0.0.0", "8002", 8002), ("0.0.0.0", "8004", 8004)],
        "notifier": [("0.0.0.0", "8003", 8003)],
        "mailpit": [("127.0.0.1", "8025", 8025)],
    }


def test_compose_refuses_to_start_without_the_secrets() -> None:
    for missing in OPERATOR_ENV:
        env = {k: v for k, v in OPERATOR_ENV.items() if k != missing}
        done = config("docker-compose.yml", env=env)
        assert done.returncode != 0 and missing in done.stderr


def test_the_ca_bundle_file_adds_the_build_secret_to_every_build(tmp_path: Path) -> None:
    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    env = {**OPERATOR_ENV, "REMIT_BUILD_CA_BUNDLE": str(bundle)}
    merged = loaded("docker-compose.yml", "docker-compose.ca-bundle.yml", env=env)
    for name in BUILT:
        build = merged["services"][name]["build"]
        assert [s["source"] for s in build["secrets"]] == ["ca_bundle"], name
        assert build["args"] == BUILD_ARGS
    assert merged["secrets"]["ca_bundle"]["file"] == str(bundle)
    without = config("docker-compose.yml", "docker-compose.ca-bundle.yml", env=OPERATOR_ENV)
    assert without.returncode != 0 and "REMIT_BUILD_CA_BUNDLE" in without.stderr


def test_the_documented_fill_in_makes_an_env_file_compose_accepts(tmp_path: Path) -> None:
    for doc in ("docs/compose.md", ".env.example"):
        assert FILL_IN in (REPO_ROOT / doc).read_text(encoding="utf-8"), doc
    env_file = tmp_path / ".env"
    env_file.write_text((REPO_ROOT / ".env.example").read_text(encoding="utf-8"))
    subprocess.run(["sh", "-c", FILL_IN], cwd=tmp_path, check=True)
    merged = loaded("docker-compose.yml", env={}, project=tmp_path)
    env = merged["services"]["registry"]["environment"]
    assert len(env["REMIT_KAFKA_PASSWORD"]) == 43 and env["REMIT_ENVIRONMENT"] == "production"
    for name in ("notifier", "init"):  # the notifier's key, and init, which runs its migrations
        keys = merged["services"][name]["environment"]["REMIT_WEBHOOK_ENCRYPTION_KEYS"]
        assert len(parse_keys(keys)) == 1


def test_the_identity_provider_file_replaces_the_keys_job() -> None:
    """As docs/compose.md says: COMPOSE_FILE names both files, .env the provider's settings."""
    idp = {
        "REMIT_JWT_JWKS": "https://idp.example.org/.well-known/jwks.json",
        "REMIT_JWT_ISSUER": "https://idp.example.org/",
        "REMIT_JWT_AUDIENCE": "remit-api",
    }
    both = {"COMPOSE_FILE": "docker-compose.yml:docker-compose.idp.yml"}
    services = loaded(env={**OPERATOR_ENV, **idp, **both})["services"]
    assert "keys" not in services and "import-smith" not in services
    for name in ("registry", "projections", "notifier"):
        env = services[name]["environment"]
        assert {k: env[k] for k in idp} == idp
        assert services[name]["depends_on"]["keys"]["required"] is False
    for missing in idp:  # one at a time: Compose names one missing variable, any of them
        rest = {k: v for k, v in idp.items() if k != missing}
        without = config(env={**OPERATOR_ENV, **rest, **both})
        assert without.returncode != 0 and missing in without.stderr, without.stderr
