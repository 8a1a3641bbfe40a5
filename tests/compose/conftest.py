"""The compose stack under podman (``make compose-test``), brought up once for this folder.

Collected only when ``REMIT_COMPOSE_TEST=1`` (``make compose-test`` sets it, after ``make
images-local``): ``make test`` has no container engine to give it. The session fixture starts
podman's API service and the health-check ticker, ``docker compose up``s the stack, waits until
it has settled, and at the end saves every container's log to .run/podman/logs and runs
``docker compose down --volumes``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from tests.compose.stack import ComposeStack, ci_environment
from tools.podman import engine

COLLECTING = os.environ.get("REMIT_COMPOSE_TEST") == "1"
collect_ignore_glob = [] if COLLECTING else ["test_*.py"]


@pytest.fixture(scope="session")
def stack() -> Iterator[ComposeStack]:
    env = ci_environment(os.environ.get("REMIT_COMPOSE_PROJECT", "remit-ci"))
    env_file = engine.STATE_DIR / "compose.env"
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    env_file.chmod(0o600)
    with engine.ApiService():
        ticker = engine.HealthTicker(env["COMPOSE_PROJECT_NAME"])
        ticker.start()
        result = ComposeStack(engine.compose_binary(), env, env_file)
        try:
            start = time.monotonic()
            result.up()
            result.wait_settled()
            result.timings["first up, settled"] = time.monotonic() - start
            yield result
        finally:
            save_logs(result)
            result.down()
            ticker.stop()
            for name, seconds in result.timings.items():
                print(f"compose: {name}: {seconds:.1f} s")


def save_logs(stack: ComposeStack) -> None:
    logs = engine.STATE_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for service in stack.containers():
        try:
            text = stack.compose("logs", "--no-color", service, capture=True)
        except RuntimeError as exc:
            text = str(exc)
        (logs / f"{service}.log").write_text(text, encoding="utf-8")
