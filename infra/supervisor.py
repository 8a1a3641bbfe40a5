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

LINE_LIMIT = 1 << 20
"""Longest output line passed on whole (bytes); a longer one is cut there, never fatal."""
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
        line_limit: int = LINE_LIMIT,
    ) -> None:
        """``sink(name, line)`` receives each output line (default: print with a prefix)."""
        self.line_limit = line_limit
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
                limit=self.line_limit,
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
        """Drain the child's output to EOF, whatever its lines: a child blocked on a full pipe
        is a hung service."""
        assert child.process and child.process.stdout
        while (raw := await read_line(child.process.stdout)) is not None:
            self.sink(child.spec.name, raw.decode("utf-8", "replace").rstrip())

    def _print(self, name: str, line: str) -> None:
        prefix = f"[{name:<11}]"
        if self.colour:
            prefix = f"{COLOURS.get(name, '')}{prefix}{RESET}"
        print(f"{prefix} {line}", flush=True)


async def read_line(stream: asyncio.StreamReader) -> bytes | None:
    """The next line (``None`` at EOF). A line longer than the stream's limit is cut to its
    first part, with a note of how much was dropped; the rest is read and discarded."""
    try:
        return await stream.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:  # EOF: a last line without a newline, or none
        return exc.partial or None
    except asyncio.LimitOverrunError as exc:
        head = await stream.read(exc.consumed)
    dropped = await _discard_line(stream)
    return head + f" ... [line cut: {dropped} more bytes]".encode()


async def _discard_line(stream: asyncio.StreamReader) -> int:
    dropped = 0
    while True:
        try:
            dropped += len(await stream.readuntil(b"\n")) - 1
            return dropped
        except asyncio.IncompleteReadError as exc:
            return dropped + len(exc.partial)
        except asyncio.LimitOverrunError as exc:
            dropped += len(await stream.read(exc.consumed))
