"""``make run``: the whole system on this machine, no Docker needed.

Starts PostgreSQL and Kafka (if not running), the three services under a supervisor, a local
mail sink for the notifier's email and a local webhook receiver (``infra/sinks.py``), imports the
Smith review (idempotent), prints where to look, and runs until Ctrl-C or ``make stop``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

from infra import sinks, stack
from infra.kafka import principals
from infra.process import is_alive, read_pid
from infra.settings import REPO_ROOT, Settings
from infra.supervisor import ServiceSpec, Supervisor
from services.common.kafka import environment

DATASET = REPO_ROOT / "data" / "smith-review.yaml"


PORTS = (
    ("registry", 8001),
    ("projections", 8002),
    ("notifier", 8003),
    ("pages", 8004),
    ("hooks", 8005),
)
"""Each local HTTP process and its default port (``REMIT_<NAME>_PORT`` overrides it)."""


def ports() -> dict[str, int]:
    return {name: int(os.environ.get(f"REMIT_{name.upper()}_PORT", d)) for name, d in PORTS}


def service_specs(settings: Settings, mail_port: int) -> list[ServiceSpec]:
    port = ports()
    common = {
        "REMIT_DATABASE_URL": settings.database_url,
        "REMIT_REGISTRY_URL": f"http://127.0.0.1:{port['registry']}",
        "REMIT_PROJECTIONS_URL": f"http://127.0.0.1:{port['projections']}",
    }

    def env(name: str, **extra: str) -> dict[str, str]:
        """Each service is its own Kafka principal, with only the ACLs it needs."""
        return {**common, **environment(principals.client(settings, name)), **extra}

    # Alerts go to this machine's sinks: the mail sink, and the webhook receiver on loopback
    # (which the SSRF guard refuses unless allow-listed; this stack only); their links point
    # at the pages.
    mail = {
        "REMIT_SMTP_HOST": "127.0.0.1",
        "REMIT_SMTP_PORT": str(mail_port),
        "REMIT_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
        "REMIT_PAGES_BASE_URL": f"http://127.0.0.1:{port['pages']}",
    }
    return [
        ServiceSpec("registry", "services.registry", port["registry"], ("serve",), env("registry")),
        ServiceSpec(
            "projections",
            "services.projections",
            port["projections"],
            (),
            env("projections", REMIT_PAGES_PORT=str(port["pages"])),
        ),
        ServiceSpec("notifier", "services.notifier", port["notifier"], (), env("notifier", **mail)),
    ]


def supervisor_pid_file(settings: Settings) -> Path:
    return settings.state_dir / "supervisor.pid"


def pages_url(specs: list[ServiceSpec]) -> str:
    """The home page's address (the projections service serves the pages on a port of its
    own)."""
    projections = next(s for s in specs if s.name == "projections")
    return f"http://127.0.0.1:{projections.env['REMIT_PAGES_PORT']}/"


def hooks_spec(settings: Settings) -> ServiceSpec:
    folder = str(settings.state_dir / "hooks")
    return ServiceSpec("hooks", "infra.sinks", ports()["hooks"], ("hooks", folder))


def guide(specs: list[ServiceSpec], mail_dir: Path, hooks: ServiceSpec) -> str:
    registry, projections, notifier = (s.url for s in specs)
    return f"""
Remit is running.
  pages        {pages_url(specs)}   (open this in a browser: reviews, boards, bodies)
  registry     {registry}/docs      (commands, event feed: {registry}/v1/events)
  projections  {projections}/docs   (read models)
  notifier     {notifier}/docs      (subscriptions, deliveries)
  mail         alert e-mail lands in {mail_dir}/new
  webhooks     POST {hooks.url}/<anything> lands in {hooks.args[1]}

Try:
  curl -s {projections}/v1/organisations/nhs-improvement | python3 -m json.tool
  curl -s {projections}/v1/reviews/smith-review/summary | python3 -m json.tool

Subscribe NHS Improvement to alerts by e-mail (it lands in the mail folder above):
  TOKEN=$(.venv/bin/remit token --scope subscriptions:write --org nhs-improvement)
  curl -s -X POST {notifier}/v1/subscriptions -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' \\
       -d '{{"channel": "email", "email": "alerts@nhs-improvement.example"}}'
or by webhook, to the local receiver (keep the secret it prints, to verify signatures):
  .venv/bin/remit subscriptions add --org nhs-improvement --url {hooks.url}/nhs-improvement

An integrator's first ten minutes, step by step: docs/integrators.md.
Stop with Ctrl-C here, or 'make stop' from another terminal (data is kept).
"""


async def import_smith(registry_url: str) -> tuple[str, int]:
    """Import the Smith review; what to print, and the position the import reached."""
    from services.cli.main import CliSettings
    from services.common.auth import issue_token
    from services.registry.dataset import load_dataset
    from services.registry.importer import import_commands

    token = issue_token(CliSettings(), "make-run", ["registry:write"])

    def run() -> tuple[str, int]:
        with httpx.Client(
            base_url=registry_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            summary = import_commands(client, load_dataset(DATASET))
        if summary.failures:
            return "import failed: " + "; ".join(summary.failures), 0
        said = f"Smith review: {summary.appended} events appended, {summary.replayed} already there"
        return said, summary.position

    return await asyncio.to_thread(run)


async def caught_up(specs: list[ServiceSpec], position: int, within_s: float = 300.0) -> None:
    """Wait until the projections and the notifier have read up to ``position``, so that the
    guide's examples (reads, subscriptions to the imported bodies) work as soon as it shows.
    Each read waits server-side (``min_position``) and answers 503 until then."""
    from services.cli.main import CliSettings
    from services.common.auth import issue_token

    urls = {s.name: s.url for s in specs}
    # The notifier lists an organisation's subscriptions: the token names the guide's body.
    token = issue_token(CliSettings(), "make-run", ["subscriptions:read"], "nhs-improvement")
    reads: tuple[tuple[str, dict[str, str]], ...] = (
        (f"{urls['projections']}/v1/reviews/smith-review/summary?min_position={position}", {}),
        (
            f"{urls['notifier']}/v1/subscriptions?min_position={position}",
            {"Authorization": f"Bearer {token}"},
        ),
    )
    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient(timeout=30) as http:
        for url, headers in reads:
            while (answer := await http.get(url, headers=headers)).status_code == 503:
                if time.monotonic() > deadline:
                    print(f"still catching up (not yet at position {position}): {url}")
                    return
                await asyncio.sleep(0.5)
            if answer.status_code != 200:
                print(f"could not check how far {url} has read: {answer.status_code}")
                return


async def run(settings: Settings) -> None:
    endpoints = await asyncio.to_thread(stack.up, settings)
    print(f"PostgreSQL {endpoints.postgres_version}")
    print(f"Kafka {endpoints.kafka_version} at {endpoints.kafka_bootstrap}")
    mail_dir = settings.state_dir / "mail"
    sinks.maildir(mail_dir)
    mail_port = int(os.environ.get("REMIT_MAIL_PORT", 8025))
    specs = service_specs(settings, mail_port)
    mail = ServiceSpec(
        "mail",
        "aiosmtpd",
        0,
        ("-n", "-l", f"127.0.0.1:{mail_port}", "-c", "aiosmtpd.handlers.Mailbox", str(mail_dir)),
    )
    hooks = hooks_spec(settings)
    supervisor = Supervisor([*specs, mail, hooks])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    supervisor_pid_file(settings).write_text(str(os.getpid()))
    supervisor.start()
    # Start-up (health, import, catching up) runs beside the wait for a stop, so that Ctrl-C or
    # `make stop` ends make run at any moment, not only once it has shown its guide.
    starting = asyncio.create_task(start_up(supervisor, specs, mail_dir, hooks))
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting in done:
            starting.result()  # a failed start-up ends make run with its error
            await stopping
    finally:
        for task in (starting, stopping):
            task.cancel()
        print("stopping services ...", flush=True)
        await supervisor.stop()
        supervisor_pid_file(settings).unlink(missing_ok=True)


async def start_up(
    supervisor: Supervisor, specs: list[ServiceSpec], mail_dir: Path, hooks: ServiceSpec
) -> None:
    """Wait for the services, import the Smith review, wait until it is read, show the guide."""
    await supervisor.wait_healthy()
    said, position = await import_smith(specs[0].url)
    print(said, flush=True)
    if position:
        await caught_up(specs, position)
    print(guide(specs, mail_dir, hooks), flush=True)


def stop_all(settings: Settings) -> None:
    """Stop a running ``make run`` (its services), then PostgreSQL and Kafka."""
    pid = read_pid(supervisor_pid_file(settings))
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if not is_alive(pid):
                break
            time.sleep(0.1)
        print(f"services stopped (supervisor pid {pid})")
    for name, was_running in stack.down(settings).items():
        print(f"{name}: {'stopped' if was_running else 'was not running'}")
