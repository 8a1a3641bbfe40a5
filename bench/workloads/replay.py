"""Workload 3: rebuild the projections from a synthetic topic vs a bare consumer of it.

1M events (20k in --quick) go straight to a fresh topic (``bench.history``); then
``python -m services.projections rebuild`` runs against a fresh database, and
``bench.baselines.bare_consumer`` reads the same topic doing nothing. Both are child processes;
their peak RSS comes from ``wait4``'s rusage. A 20k-event rebuild first calibrates: the 1M one
runs only if it fits the budget at that rate. When profiling, py-spy attaches (non-blocking:
it samples from outside without pausing the process) to the measured rebuild itself, the
1M one when it runs, so there is one rebuild per size and the profile is of the figure's run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any, NamedTuple

from bench import history, profile, services
from bench.context import RESULTS, Context
from bench.cpu import ms_per_unit
from bench.targets import at_least, at_most

TOPIC = "bench.replay.events"


def timed(
    command: list[str], env: dict[str, str], spy_to: str | None = None
) -> tuple[float, int, str, int, float]:
    """(seconds, exit status, output tail, peak RSS KiB, CPU seconds (user + system)) of a
    child process; with ``spy_to``, py-spy records it into that file (raw stacks) while it
    runs."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    spy = profile.py_spy() if spy_to else None
    sampler = None
    if spy and spy_to:
        sampler = subprocess.Popen(
            [spy, "record", "-p", str(proc.pid), "-r", str(profile.RATE), "--nonblocking"]
            + ["-f", "raw", "-o", spy_to],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    if sampler is not None:
        try:
            sampler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            sampler.kill()
            sampler.wait()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, proc.returncode, output[-3000:], usage.ru_maxrss, cpu


CALIBRATION = 20_000
BUDGET_S = 600.0
"""The 1M rebuild is skipped when the calibration's rate says it would take longer: a guard
against a rebuild that regressed to a fraction of its rate (30 min in one run), not a trim. A
20k-event calibration on a shared machine reads low (up to ~1.5x in practice), hence room."""
PROJECTIONS = [sys.executable, "-m", "services.projections"]


class Rebuilt(NamedTuple):
    seconds: float
    startup_s: float
    """Wall seconds of ``migrate``: about a process's start-up (imports, connections)."""
    output: str
    rss_kib: int
    cpu_s: float
    startup_cpu_s: float
    """CPU seconds of ``migrate``, taken as the rebuild's start-up CPU."""


def rebuild(ctx: Context, topic: str, database: str, profiled: bool = False) -> Rebuilt:
    env = {
        "REMIT_DATABASE_URL": ctx.stack.fresh_database(database),
        **ctx.stack.kafka_env,
        "REMIT_EVENTS_TOPIC": topic,
        "REMIT_CONSUMER_GROUP": f"bench-{database}",
    }
    startup, code, out, _, startup_cpu = timed([*PROJECTIONS, "migrate"], env)
    if code != 0:
        raise RuntimeError(f"projections migrate failed ({code}):\n{out}")
    raw = RESULTS / "profile-replay-rebuild.txt"
    spy_to = str(raw) if profiled and profile.py_spy() else None
    if spy_to:
        RESULTS.mkdir(parents=True, exist_ok=True)
        raw.unlink(missing_ok=True)
    seconds, code, out, rss, cpu = timed([*PROJECTIONS, "rebuild"], env, spy_to)
    if code != 0:
        raise RuntimeError(f"projections rebuild failed ({code}):\n{out}")
    if spy_to and raw.exists():
        PROFILES[topic] = profile.summarise_raw(spy_to, seconds)
    return Rebuilt(seconds, startup, out, rss, cpu, startup_cpu)


PROFILES: dict[str, Any] = {}


def run(ctx: Context) -> dict[str, Any]:
    total = CALIBRATION if ctx.quick else 1_000_000
    small = f"{TOPIC}.{CALIBRATION}"
    ctx.stack.fresh_topic(small)
    asyncio.run(history.produce(ctx.stack.kafka, small, CALIBRATION))
    only_small = total <= CALIBRATION
    measured = rebuild(ctx, small, "bench_replay_small", profiled=ctx.profile and only_small)
    calib_s, startup_s, out, rss = measured[:4]
    services.PEAKS.setdefault("replay", {})["projections_rebuild"] = rss
    # The rate past start-up (imports, connections: about what ``migrate`` takes), so that a
    # short calibration does not make the large rebuild look slower than it is.
    calib_rate = CALIBRATION / max(calib_s - startup_s, calib_s / 4)
    print(f"  replay: rebuild of {CALIBRATION} events: {calib_rate:.0f} events/s", flush=True)
    topic = small
    seconds, not_run = calib_s, None
    if not only_small:
        topic = TOPIC
        ctx.stack.fresh_topic(TOPIC)
        generated = asyncio.run(history.produce(ctx.stack.kafka, TOPIC, total))
        print(f"  replay: {total} events produced in {generated['seconds']}s", flush=True)
        if total / calib_rate > BUDGET_S:
            not_run = (
                f"not run on {total} events: at the {calib_rate:.0f} events/s measured on "
                f"{CALIBRATION} it would take ~{total / calib_rate / 60:.0f} min, over "
                f"this workload's {BUDGET_S / 60:.0f} min budget; figures are the "
                f"{CALIBRATION}-event rebuild's"
            )
            print(f"  replay: 1M rebuild {not_run}", flush=True)
            total, topic = CALIBRATION, small
        else:
            measured = rebuild(ctx, TOPIC, "bench_replay", profiled=ctx.profile)
            seconds, out, rss2 = measured.seconds, measured.output, measured.rss_kib
            services.PEAKS["replay"]["projections_rebuild"] = max(rss, rss2)
    else:
        generated = {"events": CALIBRATION}
    bare = [sys.executable, "-m", "bench.baselines.bare_consumer", ctx.stack.bootstrap]
    bare_s, bcode, bout, brss, _ = timed([*bare, topic, str(total)], ctx.stack.kafka_env)
    if bcode != 0:
        raise RuntimeError(f"bare consumer failed:\n{bout}")
    inner = json.loads(bout.strip().splitlines()[-1])["seconds"]
    services.PEAKS["replay"]["bare_consumer"] = brss
    rebuild_rate = total / seconds
    bare_rate = total / inner
    cpu_ms = ms_per_unit(max(measured.cpu_s - measured.startup_cpu_s, 0.0), total)
    return {
        "workload": "replay",
        "generated": generated,
        "rebuild": {
            "events": total,
            "seconds_wall_incl_startup": round(seconds, 2),
            "large_rebuild": not_run or "ran",
            "profile": PROFILES.get(topic),
            "profile_of": (
                "this rebuild itself: py-spy attached with --nonblocking (samples from "
                "outside, never pauses it), so the figure includes its small overhead"
            )
            if PROFILES.get(topic)
            else None,
            "events_per_s": round(rebuild_rate),
            "cpu_s": round(measured.cpu_s, 2),
            # CPU past start-up (less ``migrate``'s CPU), per event: the projections' cost
            "cpu_ms_per_event": cpu_ms,
            "output_tail": out[-600:],
        },
        "bare_consumer": {
            "events": total,
            "seconds_reading": round(inner, 2),
            "seconds_wall_incl_startup": round(bare_s, 2),
            "events_per_s": round(bare_rate),
        },
        "rebuild_over_bare": round(rebuild_rate / bare_rate, 3),
        "targets": {
            "rebuild_over_bare_consumer": at_least(round(rebuild_rate / bare_rate, 3), 0.5),
            "rebuild_cpu_ms_per_event": at_most(cpu_ms, 0.5),
        },
    }
