"""Workload 1: append throughput of registry HTTP commands vs eventsourcing vs pgbench.

Levels run in order; at each level Remit, then eventsourcing, then pgbench run back to back, so
the three see the same moment of a noisy machine. Event sizes for the baselines are the average
payload sizes of Remit's events of the same run.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from bench import mix, profile
from bench.baselines import pgbench
from bench.context import Context
from bench.cpu import CpuWindow, ms_per_unit
from bench.load import Run, closed_loop
from bench.stats import ratio, summarise
from bench.targets import at_least, at_most

ES_TABLE = (
    "SELECT table_name FROM information_schema.columns WHERE column_name = 'state' "
    "AND table_schema = 'public' LIMIT 1"
)
FULL_LEVELS = (1, 4, 8, 16, 64)
QUICK_LEVELS = (1, 8, 16)
EVENT_TYPES = {
    "record": "RecommendationRecorded",
    "respond": "RecommendationAccepted",
    "progress": "ImplementationProgressRecorded",
    "transfer": "ResponsibilityTransferred",
}


def figures(run: Run, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "commands_per_s": round(run.throughput, 1),
        "latency": summarise(run.latencies),
        "errors": len(run.errors),
        "error_samples": run.errors[:3],
        **(extra or {}),
    }


async def remit_level(
    base_url: str,
    level: int,
    warmup: float,
    duration: float,
    first: bool,
    tag: str = "",
    more_urls: tuple[str, ...] = (),
    cpu: CpuWindow | None = None,
) -> Run:
    """``more_urls``: further registry processes; lanes are spread over all of them."""
    tag = tag or f"w1c{level}"
    lanes = mix.Mix(tag=tag, lanes=level)
    async with mix.client(base_url, max(level, 8)) as http:
        await mix.run_setup(http, lanes, with_orgs=first)
        others = [mix.client(url, max(level, 8)) for url in more_urls]
        clients = [http, *others]

        async def step(lane: int, k: int) -> None:
            url, body, _ = lanes.request(lane, k)
            await mix.post(clients[lane % len(clients)], url, body, f"{tag}-{lane}-{k}")
            lanes.succeeded(url, body)

        try:
            return await closed_loop(level, warmup, duration, step, cpu)
        finally:
            for other in others:
                await other.aclose()


async def event_sizes(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT event_type, avg(octet_length(payload::text))::int AS size "
            "FROM registry.events GROUP BY event_type"
        )
    finally:
        await conn.close()
    by_type = {r["event_type"]: r["size"] for r in rows}
    return {op: by_type.get(t, 1000) for op, t in EVENT_TYPES.items()}


def eventsourcing_level(
    ctx: Context, level: int, warmup: float, duration: float, sizes: dict[str, int]
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="es-"))
    cfg = {
        "clients": level,
        "port": ctx.stack.settings.pg_port,
        "dbname": "bench_es",
        "warmup_s": warmup,
        "duration_s": duration,
        "sizes": sizes,
    }
    (work / "cfg.json").write_text(json.dumps(cfg))
    command = [
        sys.executable,
        "-m",
        "bench.baselines.eventsourcing_worker",
        str(work / "cfg.json"),
        str(work / "out.json"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"eventsourcing worker failed: {done.stderr[-2000:]}")
    out = json.loads((work / "out.json").read_text())
    run = Run(level, duration, out["latencies"], out["errors"])
    return figures(run, {"errors": out["error_count"]})


def pgbench_level(
    ctx: Context, level: int, warmup: float, duration: float, sizes: dict[str, int]
) -> dict[str, Any]:
    out = pgbench.run(ctx.stack.settings.pg_port, "bench_pgbench", level, warmup, duration, sizes)
    latencies = out["latencies"]
    assert isinstance(latencies, list)
    return figures(Run(level, duration, latencies))


def stored_sizes(ctx: Context) -> dict[str, Any]:
    def avg(db: str, sql: str) -> float | None:
        raw = ctx.stack.psql(sql, db).strip()
        return float(raw) if raw else None

    return {
        "remit_payload_bytes": avg(
            "bench_append", "SELECT avg(octet_length(payload::text))::int FROM registry.events"
        ),
        "eventsourcing_state_bytes": avg(
            "bench_es",
            "SELECT avg(octet_length(state))::int FROM "
            + (ctx.stack.psql(ES_TABLE, "bench_es").strip() or "stored_events"),
        ),
        "pgbench_payload_bytes": avg(
            "bench_pgbench", "SELECT avg(octet_length(payload::text))::int FROM pgb_events"
        ),
    }


def run(ctx: Context) -> dict[str, Any]:
    levels = QUICK_LEVELS if ctx.quick else FULL_LEVELS
    warmup, duration = (1.0, 3.0) if ctx.quick else (3.0, 15.0)
    ctx.stack.fresh_database("bench_es")
    ctx.stack.fresh_database("bench_pgbench")
    ctx.stack.psql(pgbench.DDL, "bench_pgbench")
    rows: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    result: dict[str, Any] = {
        "workload": "append",
        "levels": rows,
        "warmup_s": warmup,
        "duration_s": duration,
    }
    with ctx.registry("append", "bench_append") as registry:
        registry.start()
        dsn = ctx.stack.libpq_url("bench_append")
        for i, level in enumerate(levels):
            cpu = CpuWindow({"registry": registry.pid})
            remit_run = asyncio.run(
                remit_level(registry.url, level, warmup, duration, i == 0, cpu=cpu)
            )
            remit = figures(remit_run, remit_run.cpu)
            remit["registry_ms_per_command"] = ms_per_unit(
                remit_run.cpu.get("registry_cpu_s"), len(remit_run.latencies)
            )
            if not sizes:
                sizes = asyncio.run(event_sizes(dsn))
            es = eventsourcing_level(ctx, level, warmup, duration, sizes)
            ceiling = pgbench_level(ctx, level, warmup, duration, sizes)
            rows.append(
                {
                    "clients": level,
                    "remit": remit,
                    "eventsourcing": es,
                    "pgbench": ceiling,
                    "remit_over_eventsourcing": ratio(
                        remit["commands_per_s"], es["commands_per_s"]
                    ),
                    "remit_over_pgbench": ratio(remit["commands_per_s"], ceiling["commands_per_s"]),
                }
            )
            print(
                f"  append c={level}: remit {remit['commands_per_s']}/s "
                f"es {es['commands_per_s']}/s pgbench {ceiling['commands_per_s']}/s | p50 "
                f"{remit['latency']['p50_ms']}/{es['latency']['p50_ms']}/"
                f"{ceiling['latency']['p50_ms']} ms | errors {remit['errors']}/{es['errors']}"
                f" {remit['error_samples'][:1]} {es['error_samples'][:1]} | remit/es "
                f"{rows[-1]['remit_over_eventsourcing']} remit/pgbench "
                f"{rows[-1]['remit_over_pgbench']}"
                f" | registry {remit['registry_ms_per_command']} ms CPU/command",
                flush=True,
            )
        if ctx.profile:
            result["profile"] = profile.during(
                registry.pid,
                dsn,
                seconds=10,
                load=lambda secs: asyncio.run(remit_level(registry.url, 16, 0.5, secs, False)),
                name="append-registry",
            )
        if not ctx.quick:
            result["variant_two_registry_processes_16_clients"] = two_processes(
                ctx, registry.url, warmup, duration, rows
            )
    result["event_sizes_target"] = sizes
    result["stored_sizes"] = stored_sizes(ctx)
    result["targets"] = targets(rows)
    return result


def two_processes(
    ctx: Context, url: str, warmup: float, duration: float, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The cheap fix a uvicorn ``--workers 2`` would give: a second registry process on the
    same database (relay off), lanes split between the two."""
    second = ctx.registry("append", "bench_append", fresh=False, REMIT_RUN_RELAY="false")
    with second:
        second.start()
        run16 = asyncio.run(
            remit_level(url, 16, warmup, duration, False, tag="w1v2p", more_urls=(second.url,))
        )
    one = next((r["remit"]["commands_per_s"] for r in rows if r["clients"] == 16), None)
    out = figures(run16)
    out["over_one_process_at_16"] = ratio(out["commands_per_s"], one)
    return out


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Issue 17's targets (the longer-term goals stay 5× and 50 %)."""
    by = {r["clients"]: r for r in rows}
    es16 = by.get(16, {}).get("remit_over_eventsourcing")
    pg8 = by.get(8, {}).get("remit_over_pgbench")
    ms16 = by.get(16, {}).get("remit", {}).get("registry_ms_per_command")
    return {
        "remit_over_eventsourcing_at_16": at_least(es16, 3.0),
        "remit_over_pgbench_at_8": at_least(pg8, 0.25),
        "registry_cpu_ms_per_command_at_16": at_most(ms16, 1.0),
    }
