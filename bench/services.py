"""Remit services as child processes of the benchmark, with their peak RSS (VmHWM).

Each service gets its own log file under the run's state dir; peaks are read from
``/proc/<pid>/status`` just before the process is stopped and kept in :data:`PEAKS`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.settings import free_ports

PEAKS: dict[str, dict[str, int]] = {}
"""workload -> service -> peak RSS in KiB (the highest over all instances in that workload)."""


def vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Service:
    """``python -m <module> <args>`` with ``REMIT_PORT`` set; ``workload`` labels its RSS peak."""

    name: str
    module: str
    workload: str
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, health: str | None = "/healthz", within_s: float = 90.0) -> Service:
        self.port = self.port or free_ports(1)[0]
        env = {**os.environ, **self.env, "REMIT_PORT": str(self.port)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{self.workload}-{self.name}-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if health:
            self._wait(health, within_s)
        return self

    def _wait(self, path: str, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not healthy within {within_s}s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def peak_rss_kib(self) -> int:
        return vm_hwm_kib(self.pid) if self.process else 0

    def stop(self, grace_s: float = 15.0) -> None:
        if self.process is None:
            return
        peak = self.peak_rss_kib()
        per = PEAKS.setdefault(self.workload, {})
        per[self.name] = max(per.get(self.name, 0), peak)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
