"""The ceiling: pgbench inserting rows of Remit's event size, one per transaction.

The table has Remit's event-table shape (bigserial id, stream id + version unique, jsonb payload,
uuid, timestamp); one script per command type, weighted equally, each inserting a payload of that
type's average size from the same run. Latencies come from pgbench's per-transaction log (-l).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from infra.postgres import bin_dir

DDL = """
CREATE TABLE IF NOT EXISTS pgb_events (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  stream_id text NOT NULL,
  stream_version int NOT NULL,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, stream_version)
)
"""


def script(event_type: str, size: int) -> str:
    payload = json.dumps({"type": event_type, "text": "x" * max(0, size - 40)}).replace("'", "''")
    return (
        "INSERT INTO pgb_events (event_id, stream_id, stream_version, event_type, payload) "
        f"VALUES (gen_random_uuid(), 'rec-' || gen_random_uuid(), 1, '{event_type}', "
        f"'{payload}'::jsonb);\n"
    )


def run(
    port: int, dbname: str, clients: int, warmup_s: float, duration_s: float, sizes: dict[str, int]
) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="pgbench-"))
    args = []
    for op, size in sizes.items():
        path = work / f"{op}.sql"
        path.write_text(script(op, size))
        args += ["-f", f"{path}@1"]
    total = int(round(warmup_s + duration_s))
    command = [
        str(bin_dir() / "pgbench"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-n",
        "-c",
        str(clients),
        "-j",
        str(clients),
        "-T",
        str(total),
        "-l",
        f"--log-prefix={work}/log",
        *args,
        dbname,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=work)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr[-2000:]}")
    return {"latencies": window(work, warmup_s, duration_s), "stdout": done.stdout[-1500:]}


def window(work: Path, warmup_s: float, duration_s: float) -> list[float]:
    """Latencies (s) of transactions that started in [first + warmup, first + warmup + dur)."""
    rows: list[tuple[float, float]] = []
    for log in work.glob("log.*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            latency_us, epoch, usec = int(parts[2]), int(parts[4]), int(parts[5])
            finished = epoch + usec / 1e6
            rows.append((finished - latency_us / 1e6, latency_us / 1e6))
    if not rows:
        return []
    first = min(start for start, _ in rows)
    lo, hi = first + warmup_s, first + warmup_s + duration_s
    return [lat for start, lat in rows if lo <= start and start + lat < hi]
