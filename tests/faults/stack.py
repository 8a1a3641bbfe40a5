"""A private PostgreSQL + Kafka pair and the services as separately killable processes.

Fault tests SIGKILL the broker and restart PostgreSQL, so they never use the session's shared
servers: :class:`PrivateInfra` starts its own pair on free ports in a temporary directory.
Each :class:`Service` is one OS process (``python -m ...``) whose output is captured line by line,
so tests can SIGKILL it, restart it, and search its logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from infra import kafka, postgres, process
from infra.settings import REPO_ROOT, free_ports
from infra.stack import PrivateStack
from services.common.kafka import environment


class PrivateInfra(PrivateStack):
    """PostgreSQL and Kafka for this module only: safe to kill and restart."""

    async def start(self) -> None:
        await asyncio.to_thread(self.up)

    async def stop(self) -> None:
        await asyncio.to_thread(self.down)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def kill_kafka(self) -> None:
        pid = kafka.status(self.settings).pid
        assert pid is not None, "the private broker is not running"
        os.kill(pid, signal.SIGKILL)
        assert process.wait_until(lambda: not process.is_alive(pid), 10.0)

    async def start_kafka(self) -> None:
        await asyncio.to_thread(kafka.start, self.settings)

    async def restart_postgres(self, down_s: float) -> None:
        """Immediate shutdown (no checkpoint: crash recovery on start), then start again."""
        data = str(self.settings.pg_dir / "data")
        stop = ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]
        await asyncio.to_thread(postgres._run, "pg_ctl", stop, self.settings)
        await asyncio.sleep(down_s)
        await asyncio.to_thread(postgres.start, self.settings)


@dataclass
class Service:
    """One service process. ``port`` 0 means it serves no HTTP (the relay)."""

    name: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    port: int = 0
    logs: list[str] = field(default_factory=list)
    proc: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, ready_path: str = "/readyz", within_s: float = 60.0) -> None:
        env = {**os.environ, **self.env, "PYTHONPATH": str(REPO_ROOT)}
        if self.port:
            env["REMIT_PORT"] = str(self.port)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *self.args,
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._copy(self.proc))
        if self.port:
            await self.wait_ready(ready_path, within_s)

    async def _copy(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            self.logs.append(raw.decode("utf-8", "replace").rstrip())

    async def wait_ready(self, path: str, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    tail = "\n".join(self.logs[-30:])
                    raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{tail}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + path)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready:\n" + "\n".join(self.logs[-30:]))
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush, open transactions abandoned."""
        assert self.proc is not None and self.proc.returncode is None
        self.proc.kill()
        await self.proc.wait()
        if self._reader:
            await self._reader

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        if self._reader:
            await self._reader


class Stack:
    """Registry API (no in-process relay), relay, projections and notifier as processes."""

    def __init__(self, infra: PrivateInfra, notifier_env: Mapping[str, str]) -> None:
        self.infra = infra
        common = {
            "REMIT_DATABASE_URL": infra.database_url,
            **environment(infra.kafka),
            "REMIT_LOG_LEVEL": "INFO",
            # Fail fast while a dependency is away, so faults show as errors, not hangs.
            "REMIT_KAFKA_REQUEST_TIMEOUT_MS": "3000",
            "REMIT_RELAY_BACKOFF_MAX_S": "2",
        }
        ports = free_ports(3)
        registry = {**common, "REMIT_RUN_RELAY": "false", "REMIT_DB_POOL_SIZE": "20"}
        self.registry = Service("registry", ("services.registry", "serve"), registry, ports[0])
        self.relay = Service("relay", ("services.registry", "relay"), common)
        no_pages = {**common, "REMIT_PAGES_PORT": "0"}  # the pages have their own tests
        self.projections = Service("projections", ("services.projections",), no_pages, ports[1])
        notifier = {**common, **notifier_env}
        self.notifier = Service("notifier", ("services.notifier",), notifier, ports[2])

    @property
    def services(self) -> list[Service]:
        return [self.registry, self.relay, self.projections, self.notifier]

    async def start(self) -> None:
        await self.registry.start()  # migrates the registry schema first
        await asyncio.gather(
            self.relay.start(),
            self.projections.start("/healthz"),
            self.notifier.start("/healthz"),
        )

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.services))

    def env_of(self, service: Service, **overrides: str) -> dict[str, str]:
        return {**os.environ, **service.env, "PYTHONPATH": str(REPO_ROOT), **overrides}
