"""docker-compose.yml driven by Docker Compose against podman, as the compose smoke needs it.

``ComposeStack`` runs ``docker compose -p PROJECT -f docker-compose.yml -f
tests/compose/webhook-receiver.yml --env-file ENV ...`` and reads container states back.
``ci_environment`` writes the env file: the images ``make images-local`` built, fresh
passwords, free ports on 127.0.0.1, and the webhook receiver's certificates. Nothing else:
the stack runs as an operator's would, in production mode with SASL and ACLs on Kafka.
"""

from __future__ import annotations

import json
import secrets
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from infra.settings import REPO_ROOT, free_ports
from tests.compose import tls
from tools.podman import engine, images

FILES = (REPO_ROOT / "docker-compose.yml", REPO_ROOT / "tests" / "compose" / "webhook-receiver.yml")
LONG_RUNNING = ("kafka", "postgres", "mailpit", "registry", "projections", "notifier")
JOBS = ("kafka-init", "keys", "init", "import-smith")
RECEIVER = "webhook-receiver"
PASSWORDS = (
    "POSTGRES_PASSWORD",
    "KAFKA_ADMIN_PASSWORD",
    "KAFKA_REGISTRY_PASSWORD",
    "KAFKA_PROJECTIONS_PASSWORD",
    "KAFKA_NOTIFIER_PASSWORD",
    "KAFKA_INTEGRATOR_EXAMPLE_PASSWORD",
)
KEYS = ("NOTIFIER_ENCRYPTION_KEYS",)
"""Keys an operator sets, like the passwords (32 random bytes, URL-safe base64)."""
PORT_VARIABLES = (
    "REMIT_REGISTRY_HOST_PORT",
    "REMIT_PROJECTIONS_HOST_PORT",
    "REMIT_NOTIFIER_HOST_PORT",
    "REMIT_PAGES_HOST_PORT",
    "REMIT_MAILPIT_HOST_PORT",
    "REMIT_RECEIVER_HOST_PORT",
)
T = TypeVar("T")


def ci_environment(project: str) -> dict[str, str]:
    """What compose is given in CI: images.env, then secrets, ports and the receiver's needs."""
    env = dict(
        line.split("=", 1)
        for line in images.ENV_FILE.read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    env.update(
        COMPOSE_PROJECT_NAME=project,
        REMIT_PUBLISH_ADDRESS="127.0.0.1",
        # The receiver has a private address on the compose network: the SSRF guard lets it
        # through by name. It speaks HTTPS with a certificate from a test CA (tls.py).
        REMIT_WEBHOOK_ALLOW_HOSTS=json.dumps([RECEIVER]),
        REMIT_RECEIVER_TLS_DIR=str(tls.write(engine.STATE_DIR / "receiver-tls", RECEIVER)),
    )
    env.update({name: secrets.token_urlsafe(32) for name in (*PASSWORDS, *KEYS)})
    env.update(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True))
    # the alerts link to the pages where this stack publishes them
    env["REMIT_PAGES_BASE_URL"] = f"http://127.0.0.1:{env['REMIT_PAGES_HOST_PORT']}"
    return env


@dataclass
class Container:
    service: str
    state: str
    health: str
    exit_code: int
    started_at: str

    @property
    def settled(self) -> bool:
        if self.service in JOBS:
            return self.state == "exited"
        return self.state == "running" and self.health == "healthy"

    @property
    def failed(self) -> bool:
        if self.service in JOBS:
            return self.state == "exited" and self.exit_code != 0
        return self.health == "unhealthy" or self.state in ("exited", "dead")


@dataclass
class ComposeStack:
    binary: Path
    env: dict[str, str]
    env_file: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.env["COMPOSE_PROJECT_NAME"]

    def url(self, variable: str) -> str:
        return f"http://127.0.0.1:{self.env[variable]}"

    def receiver(self) -> httpx.Client:
        """A client for the webhook receiver's HTTPS port, trusting the test CA."""
        ca = Path(self.env["REMIT_RECEIVER_TLS_DIR"]) / tls.CA_FILE
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.env['REMIT_RECEIVER_HOST_PORT']}",
            verify=ssl.create_default_context(cafile=str(ca)),
            timeout=10,
        )

    def compose(
        self, *args: str, capture: bool = False, timeout: float = 900, stdin: str | None = None
    ) -> str:
        argv = [str(self.binary), "-p", self.project, "--env-file", str(self.env_file)]
        for file in FILES:
            argv += ["-f", str(file)]
        done = subprocess.run(
            [*argv, *args],
            cwd=REPO_ROOT,
            env=engine.environ(),
            capture_output=capture,
            text=True,
            timeout=timeout,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            check=False,
        )
        if done.returncode != 0:
            detail = f"\n{done.stdout}\n{done.stderr}" if capture else ""
            raise RuntimeError(f"docker compose {' '.join(args)} exited {done.returncode}{detail}")
        return done.stdout if capture else ""

    def up(self) -> None:
        self.compose("up", "--detach", "--no-build", "--pull", "never")

    def containers(self) -> dict[str, Container]:
        ids = self.compose("ps", "--all", "--quiet", capture=True).split()
        if not ids:
            return {}
        raw = engine.podman("inspect", *ids, capture=True)
        found = {}
        for item in json.loads(raw):
            state: dict[str, Any] = item["State"]
            service = item["Config"]["Labels"]["com.docker.compose.service"]
            health = (state.get("Health") or state.get("Healthcheck") or {}).get("Status", "")
            found[service] = Container(
                service, state["Status"], health, int(state["ExitCode"]), state["StartedAt"]
            )
        return found

    def wait_settled(self, within_s: float = 600) -> dict[str, Container]:
        """Every service healthy and every job exited; raise on a failure or at the deadline."""
        expected = {*LONG_RUNNING, *JOBS, RECEIVER}

        def settled() -> dict[str, Container] | None:
            found = self.containers()
            failed = [c for c in found.values() if c.failed]
            if failed:
                raise AssertionError(f"failed: {failed}\n{self.logs(*[c.service for c in failed])}")
            done = set(found) >= expected and all(c.settled for c in found.values())
            return found if done else None

        return wait_for(settled, within_s, lambda: f"not settled: {self.containers()}")

    def logs(self, *services: str) -> str:
        return self.compose("logs", "--no-color", "--tail", "200", *services, capture=True)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "30")


def wait_for(probe: Callable[[], T | None], within_s: float, message: Callable[[], str] | str) -> T:
    """Poll ``probe`` until it returns something truthy (a condition, not a sleep)."""
    deadline = time.monotonic() + within_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            said = message() if callable(message) else message
            raise AssertionError(f"{said} (after {within_s:g} s)")
        time.sleep(0.5)
