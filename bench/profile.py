"""Where the time goes: py-spy on a service process, pg_stat_activity wait events on PostgreSQL.

``during(pid, dsn, seconds, load)`` runs ``load(seconds)`` while py-spy samples ``pid`` (100 Hz,
non-blocking, idle threads excluded) and a thread samples what PostgreSQL backends wait on. The
raw stacks are kept in ``bench/results/profile-<name>.txt``; the summary names the packages that
hold the CPU (self time attributed to the nearest frame of a known package) and the waits.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.context import RESULTS

RATE = 100
PACKAGES = (
    ("asyncpg", "asyncpg"),
    ("sqlalchemy", "sqlalchemy"),
    ("pydantic", "pydantic"),
    ("structlog/logging", "structlog"),
    ("structlog/logging", "/logging/"),
    ("prometheus_client", "prometheus_client"),
    ("jwt", "/jwt/"),
    ("starlette", "starlette"),
    ("fastapi", "fastapi"),
    ("uvicorn/h11/httptools", "uvicorn"),
    ("uvicorn/h11/httptools", "/h11/"),
    ("aiokafka", "aiokafka"),
    ("cloudevents", "cloudevents"),
    ("json", "/json/"),
    ("asyncio event loop", "/asyncio/"),
    ("remit domain", "services/registry/domain"),
    ("remit service layer", "services/registry/service_layer"),
    ("remit adapters", "services/registry/adapters"),
    ("remit entrypoints", "/entrypoints/"),
    ("remit schemas", "schemas/"),
    ("remit projections", "services/projections"),
    ("remit notifier", "services/notifier"),
)


def classify(frame: str) -> str | None:
    for label, needle in PACKAGES:
        if needle in frame:
            return label
    return None


def summarise_raw(path: str, seconds: float) -> dict[str, Any]:
    by_package: collections.Counter[str] = collections.Counter()
    by_leaf: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as raw:
        for line in raw:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            leaf = frames[-1]
            by_leaf[leaf.split(" (")[0] + " (" + leaf.split(" (")[-1].split(":")[0] + ")"] += n
            label = next((c for f in reversed(frames) if (c := classify(f))), "other")
            by_package[label] += n
    return {
        "samples": total,
        "busy_fraction_of_one_core": round(total / (RATE * seconds), 3),
        "self_time_by_package": {k: round(v / total, 3) for k, v in by_package.most_common(12)}
        if total
        else {},
        "top_leaf_functions": {k: round(v / total, 3) for k, v in by_leaf.most_common(12)}
        if total
        else {},
    }


def sample_waits(dsn: str, stop: threading.Event) -> dict[str, float]:
    counts: collections.Counter[str] = collections.Counter()
    samples = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not stop.is_set():
            rows = conn.execute(
                "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM "
                "pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            ).fetchall()
            samples += 1
            counts.update(r[0] for r in rows)
            time.sleep(0.02)
    return {k: round(v / samples, 3) for k, v in counts.most_common(10)} if samples else {}


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def during(
    pid: int, dsn: str, seconds: float, load: Callable[[float], Any], name: str
) -> dict[str, Any]:
    """Profile ``pid`` for ``seconds`` while ``load(seconds + 1)`` runs."""
    spy = py_spy()
    out_path = str(RESULTS / f"profile-{name}.txt")
    proc = None
    if spy:
        proc = subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(pid),
                "-d",
                str(int(seconds)),
                "-r",
                str(RATE),
                "--nonblocking",
                "-f",
                "raw",
                "-o",
                out_path,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    stop = threading.Event()
    waits: dict[str, float] = {}
    sampler = threading.Thread(target=lambda: waits.update(sample_waits(dsn, stop)))
    sampler.start()
    try:
        load(seconds + 1)
    finally:
        stop.set()
        sampler.join()
    result: dict[str, Any] = {"pg_active_backends_by_wait": waits}
    if proc is None:
        result["python"] = "skipped: py-spy not installed (pip install -e '.[bench]')"
        return result
    _, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        result["python"] = f"skipped: py-spy failed: {err.decode()[-300:]}"
        return result
    result["python"] = summarise_raw(out_path, seconds)
    result["raw_stacks"] = f"bench/results/profile-{name}.txt"
    return result
