"""Run the three services as supervised child processes: prefixed logs, restart on crash.

Used by ``make run`` (``python -m infra run``) and by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

COLOURS = {"registry": "\033[36m", "projections": "\033[35m", "notifier": "\033[33m"}
RESET = "\033[0m"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    """0: not an HTTP service (no health check, no REMIT_PORT)."""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Supervised:
    spec: ServiceSpec
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0


class Supervisor:
    """Starts each service, copies its output with a ``[name]`` prefix, restarts it when it
    dies (with a growing delay, reset after a minute of health), and stops all on request."""

    def __init__(
        self,
        specs: list[ServiceSpec],
        colour: bool | None = None,
        sink: Callable[[str, str], None] | None = None,
    ) -> None:
        """``sink(name, line)`` receives each output line (default: print with a prefix)."""
        self.children = [Supervised(spec) for spec in specs]
        self.stopping = asyncio.Event()
        self.colour = sys.stdout.isatty() if colour is None else colour
        self.sink = sink or self._print
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep_running(child)) for child in self.children]

    async def stop(self, grace_s: float = 15.0) -> None:
        self.stopping.set()
        for child in self.children:
            if child.process and child.process.returncode is None:
                child.process.send_signal(signal.SIGTERM)
        for child in self.children:
            if child.process and child.process.returncode is None:
                try:
                    await asyncio.wait_for(child.process.wait(), grace_s)
                except TimeoutError:
                    child.process.kill()
                    await child.process.wait()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_healthy(self, within_s: float = 90.0) -> None:
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=2) as client:
            for child in (c for c in self.children if c.spec.port):
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{child.spec.url}/healthz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{child.spec.name} did not become healthy")
                    await asyncio.sleep(0.2)

    async def _keep_running(self, child: Supervised) -> None:
        delay = 0.5
        while not self.stopping.is_set():
            started = time.monotonic()
            child.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                child.spec.module,
                *child.spec.args,
                env=self._env(child.spec),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            await self._copy_output(child)
            code = await child.process.wait()
            if self.stopping.is_set():
                return
            child.restarts += 1
            delay = 0.5 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
            self.sink(child.spec.name, f"exited with {code}; restarting in {delay:.1f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)

    @staticmethod
    def _env(spec: ServiceSpec) -> dict[str, str]:
        env = {**os.environ, **spec.env}
        if spec.port:
            env["REMIT_PORT"] = str(spec.port)
        return env

    async def _copy_output(self, child: Supervised) -> None:
        assert child.process and child.process.stdout
        async for raw in child.process.stdout:
            self.sink(child.spec.name, raw.decode("utf-8", "replace").rstrip())

    def _print(self, name: str, line: str) -> None:
        prefix = f"[{name:<11}]"
        if self.colour:
            prefix = f"{COLOURS.get(name, '')}{prefix}{RESET}"
        print(f"{prefix} {line}", flush=True)
