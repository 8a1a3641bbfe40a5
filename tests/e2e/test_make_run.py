"""``make run`` as a new user meets it: ``python -m infra run`` (its own PostgreSQL, Kafka, mail
sink and webhook receiver, the Smith review imported) on private ports and a private state
directory, then the README's email subscription, then a registry command: the alert email is
in the mail folder the banner names."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from infra.settings import REPO_ROOT, free_ports
from tests.support.eventually import eventually

pytestmark = pytest.mark.e2e
ORG = "nhs-improvement"
ADDRESS = "alerts@nhs-improvement.example"


@dataclass
class Run:
    env: dict[str, str]
    registry: str
    notifier: str
    pages: str
    mail: Path
    log: Path

    def remit(self, *args: str) -> str:
        cli = Path(sys.executable).parent / "remit"
        return subprocess.run(
            [str(cli), *args], env=self.env, capture_output=True, text=True, check=True
        ).stdout.strip()


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    state = tmp_path_factory.mktemp("make-run")
    names = "PG KAFKA KAFKA_CONTROLLER REGISTRY PROJECTIONS NOTIFIER PAGES HOOKS MAIL".split()
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    # Only what a new user's shell has: none of the suite's REMIT_ settings leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
    env |= {f"REMIT_{name}_PORT": str(port) for name, port in ports.items()}
    env["REMIT_STATE_DIR"] = str(state)
    log = state / "make-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "infra", "run"],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    run = Run(
        env,
        f"http://127.0.0.1:{ports['REGISTRY']}",
        f"http://127.0.0.1:{ports['NOTIFIER']}",
        f"http://127.0.0.1:{ports['PAGES']}",
        state / "mail",
        log,
    )
    try:

        def banner() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            return "Remit is running." in log.read_text()

        asyncio.run(eventually(banner, within=600, step=1))
        yield run
    finally:
        subprocess.run([sys.executable, "-m", "infra", "stop"], env=env, cwd=REPO_ROOT, check=False)
        proc.wait(timeout=60)


async def test_the_readmes_email_subscription_receives_the_alert_of_a_command(
    make_run: Run,
) -> None:
    said = make_run.log.read_text()
    assert f"alert e-mail lands in {make_run.mail}/new" in said
    assert "still catching up" not in said and "could not check" not in said
    subscriber = {
        "Authorization": "Bearer "
        + make_run.remit("token", "--scope", "subscriptions:write", "--org", ORG)
    }
    writer = {"Authorization": "Bearer " + make_run.remit("token", "--scope", "registry:write")}
    new_name = f"NHS Improvement {uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=30) as http:
        # The README's example, as written, the moment the banner shows (it shows once the
        # notifier has read the import).
        created = await http.post(
            f"{make_run.notifier}/v1/subscriptions",
            json={"channel": "email", "email": ADDRESS},
            headers=subscriber,
        )
        assert created.status_code == 201, created.text
        renamed = await http.post(
            f"{make_run.registry}/v1/organisations/{ORG}/rename",
            json={"new_name": new_name, "source": {"document": "E2E", "passage": "Renamed."}},
            headers=writer,
        )
        assert renamed.status_code == 201, renamed.text
        [event] = renamed.json()["events"]

    def delivered() -> list[EmailMessage]:
        parse = BytesParser(policy=policy.default).parsebytes
        found = [parse(path.read_bytes()) for path in (make_run.mail / "new").iterdir()]
        return [m for m in found if m["To"] == ADDRESS]

    [message] = await eventually(delivered, within=120, step=0.5)
    assert message["Subject"] == f"In effect: NHS Improvement took the name “{new_name}”"
    assert message["From"] and message["Date"] and message["X-Remit-Message-Id"]
    assert message["Message-ID"].startswith(f"<{message['X-Remit-Message-Id']}@")
    plain = message.get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    text = plain.get_content()
    assert f"Position {event['position']} in the register (OrganisationRenamed)" in text
    assert f"See it on Remit: {make_run.pages}/organisations/{ORG}" in text
