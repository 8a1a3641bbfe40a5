"""Detached server processes: start in their own session, find by pid file, stop politely."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerStatus:
    """A local server: its pid while it runs, where clients reach it, its version if known."""

    pid: int | None
    address: str
    version: str = ""


def spawn_detached(
    argv: Sequence[str], log: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> int:
    """Start argv in a new session with output appended to log; return its pid.

    A short-lived ``sh`` backgrounds the server and exits, so the server is not our child:
    no zombie to reap and no ``Popen`` left to warn "subprocess is still running".
    """
    script = 'exec "$@" >>"$REMIT_LOG" 2>&1 </dev/null &\necho $!'
    result = subprocess.run(
        ["sh", "-c", script, "sh", *argv],
        cwd=cwd,
        env={**(env or os.environ), "REMIT_LOG": str(log)},
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    return int(result.stdout.strip())


def is_alive(pid: int) -> bool:
    """True if pid names a process that has not exited (zombies count as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def read_pid(path: Path) -> int | None:
    """The pid in the first line of path, if the file exists and that process lives."""
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if is_alive(pid) else None


def terminate(pid: int, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Send sig, wait up to timeout, then SIGKILL. True if it stopped without SIGKILL."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    if wait_until(lambda: not is_alive(pid), timeout):
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    wait_until(lambda: not is_alive(pid), 10.0)
    return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll check until it is true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
