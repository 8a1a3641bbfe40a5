"""python -m infra up|down|status|env|resolve|run|stop|integrator NAME: local PostgreSQL and
Kafka without Docker (integrator: a read-only Kafka principal for an integrating organisation)."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time

from infra import kafka, postgres, run, stack
from infra.kafka import principals
from infra.settings import Settings
from services.common.kafka import environment


def _env_lines(settings: Settings) -> list[str]:
    """The database, and Kafka as its administrator (what tests and operators' shells use)."""
    return [*settings.env_lines(), *principals.env_lines(settings)]


def _up(settings: Settings) -> None:
    for name, service in (("PostgreSQL", postgres), ("Kafka", kafka)):
        pid = service.status(settings).pid
        if pid is not None:
            print(f"{name} already running (pid {pid})")
    began = time.monotonic()
    endpoints = stack.up(settings)
    print(f"PostgreSQL: {endpoints.postgres_version}")
    print(f"Kafka: {endpoints.kafka_version or kafka.KAFKA_VERSION} (KRaft, single node)")
    auth = "SASL/SCRAM and ACLs" if settings.kafka_auth else "plaintext, no ACLs"
    print(f"Kafka clients: {auth}")
    print(f"state: {settings.state_dir}  ({time.monotonic() - began:.1f}s)")
    print("\n".join(_env_lines(settings)))


def _down(settings: Settings) -> None:
    for name, was_running in stack.down(settings).items():
        print(f"{name}: {'stopped' if was_running else 'was not running'}")


def _status(settings: Settings) -> int:
    """One line per service; exit 3 unless both run."""
    pg, broker = postgres.status(settings), kafka.status(settings)
    pg_version = postgres.version(settings) if pg.pid else ""
    for name, pid, where, version in (
        ("postgres", pg.pid, pg.address, pg_version),
        ("kafka", broker.pid, broker.address, f"Apache Kafka {broker.version}"),
    ):
        state = f"running (pid {pid})  {where}  {version}" if pid else "stopped"
        print(f"{name}: {state}")
    return 0 if pg.pid and broker.pid else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    parser.add_argument(
        "command",
        choices=["up", "down", "status", "env", "resolve", "run", "stop", "integrator"],
    )
    parser.add_argument(
        "name", nargs="?", help="integrator: the principal to create (it may read remit.events)"
    )
    arguments = parser.parse_args(argv)
    command = arguments.command
    settings = Settings.from_env()
    if command == "up":
        _up(settings)
    elif command == "down":
        _down(settings)
    elif command == "status":
        return _status(settings)
    elif command == "run":
        asyncio.run(run.run(settings))
    elif command == "stop":
        run.stop_all(settings)
    elif command == "env":
        print("\n".join(_env_lines(settings)))
    elif command == "integrator":
        if not arguments.name:
            parser.error("integrator needs a name")
        login = principals.add_integrator(settings, arguments.name)
        print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in environment(login).items()))
    else:
        print(kafka.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
