"""Podman as CI's container engine: installed, configured, and driven like Docker.

These machines have no Docker engine and no systemd. What this module supplies:

- ``ensure_installed``: podman, runc and debootstrap from Debian (apt-get, as root).
- ``environ``: ``CONTAINERS_CONF`` pointing at ``tools/podman/containers.conf`` (runc, lower
  ulimits) and ``DOCKER_HOST`` pointing at podman's Docker-compatible API socket.
- ``ApiService``: ``podman system service`` on that socket, for Docker Compose.
- ``HealthTicker``: podman 4.3 runs health checks from systemd timers; without systemd
  nothing runs them, so this thread does, at each container's own interval.
- ``compose_binary``: Docker Compose v2 itself, built from its Go module (podman-compose
  cannot wait for ``service_healthy`` with Debian 12's podman 4.3: see docs/compose.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from infra.settings import REPO_ROOT

HERE = Path(__file__).resolve().parent
CONTAINERS_CONF = HERE / "containers.conf"
STATE_DIR = REPO_ROOT / ".run" / "podman"
CACHE_DIR = REPO_ROOT / ".cache" / "podman"
SOCKET = STATE_DIR / "podman.sock"
DEBIAN_PACKAGES = ("podman", "runc", "debootstrap")
COMPOSE_MODULE = "github.com/docker/compose/v2"
COMPOSE_VERSION = "v2.40.3"


def environ() -> dict[str, str]:
    """The environment every podman and compose command of the project runs with."""
    return {
        **os.environ,
        "CONTAINERS_CONF": str(CONTAINERS_CONF),
        "DOCKER_HOST": f"unix://{SOCKET}",
        # podman 4.3 builds OCI images by default, and OCI images drop HEALTHCHECK
        "BUILDAH_FORMAT": "docker",
    }


def run(argv: Sequence[str], *, capture: bool = False, check: bool = True) -> str:
    """Run a command in :func:`environ`; its output if ``capture``, else it goes to ours."""
    done = subprocess.run(
        list(argv),
        env=environ(),
        check=False,
        text=True,
        stdin=subprocess.DEVNULL,
        capture_output=capture,
    )
    if check and done.returncode != 0:
        detail = f"\n{done.stdout}\n{done.stderr}" if capture else ""
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}{detail}")
    return done.stdout if capture else ""


def podman(*args: str, capture: bool = False, check: bool = True) -> str:
    return run(["podman", *args], capture=capture, check=check)


def ensure_installed() -> None:
    """apt-get install what is missing (CI runs as root on a fresh Debian 12)."""
    missing = [p for p in DEBIAN_PACKAGES if shutil.which(p) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"install {' '.join(missing)} (apt-get, as root) first")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=apt, stdin=subprocess.DEVNULL)
    # With their recommends, as verified: the network stack (netavark, iptables, CNI plugins),
    # catatonit, and debootstrap's archive keyring come that way.
    subprocess.run(
        ["apt-get", "install", "-y", "-q", *DEBIAN_PACKAGES],
        check=True,
        env=apt,
        stdin=subprocess.DEVNULL,
    )


def compose_binary() -> Path:
    """Docker Compose v2 built from its module with the machine's Go (once; cached)."""
    binary = CACHE_DIR / "compose" / COMPOSE_VERSION / "docker-compose"
    # Built inside the module's own directory so that its go.mod (replace and exclude
    # directives, which `go install pkg@version` refuses) governs the build.
    return go_build(COMPOSE_MODULE, COMPOSE_VERSION, "internal.Version", "./cmd", binary)


def go_build(module: str, version: str, version_var: str, package: str, binary: Path) -> Path:
    """``binary``, built once (then kept) from ``package`` of the Go module
    ``module@version`` in the module's own directory: static (no cgo), with
    ``<module>/<version_var>`` set to ``version``."""
    if binary.exists():
        return binary
    found = run(["go", "mod", "download", "-json", f"{module}@{version}"], capture=True)
    source = json.loads(found)["Dir"]
    ldflags = f"-s -w -X {module}/{version_var}={version}"
    binary.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(binary), package],
        cwd=source,
        check=True,
        env={**os.environ, "CGO_ENABLED": "0"},
        stdin=subprocess.DEVNULL,
    )
    return binary


class ApiService:
    """``podman system service`` on :data:`SOCKET`, for as long as the context lasts."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = STATE_DIR / "service.log"

    def __enter__(self) -> ApiService:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        SOCKET.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["podman", "system", "service", "--time=0", f"unix://{SOCKET}"],
                env=environ(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not SOCKET.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"podman system service did not start: see {self.log_path}")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        SOCKET.unlink(missing_ok=True)


class HealthTicker(threading.Thread):
    """Run ``podman healthcheck run`` for each running container of ``project`` that has a
    health check, at the container's own interval (what podman's systemd timer would do)."""

    def __init__(self, project: str, tick_s: float = 1.0) -> None:
        super().__init__(name=f"health-{project}", daemon=True)
        self.project = project
        self.tick_s = tick_s
        self.stopped = threading.Event()
        self.intervals: dict[str, float] = {}
        self.due: dict[str, float] = {}

    def run(self) -> None:
        while not self.stopped.wait(self.tick_s):
            try:
                self.tick(time.monotonic())
            except (RuntimeError, ValueError, KeyError):
                continue  # a container that went away between the listing and the check

    def tick(self, now: float) -> None:
        running = podman(
            "ps",
            "--filter",
            f"label=com.docker.compose.project={self.project}",
            "--format",
            "{{.ID}}",
            capture=True,
        ).split()
        for cid in running:
            interval = self.interval(cid)
            if interval is None or now < self.due.get(cid, 0.0):
                continue
            self.due[cid] = now + interval
            podman("healthcheck", "run", cid, capture=True, check=False)

    def interval(self, cid: str) -> float | None:
        if cid not in self.intervals:
            raw = podman("inspect", "--format", "{{json .Config.Healthcheck}}", cid, capture=True)
            check = json.loads(raw) or {}
            test = check.get("Test") or []
            if not test or test[0] == "NONE":
                self.intervals[cid] = -1.0
            else:
                self.intervals[cid] = (check.get("Interval") or 30_000_000_000) / 1e9
        interval = self.intervals[cid]
        return None if interval < 0 else interval

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)
