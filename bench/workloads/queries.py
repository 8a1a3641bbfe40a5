"""Workload 4: read-model queries under an open-loop 500 requests/s from another process.

10k recommendations (500 reviews of 20; 1k in --quick) and their bodies, responses, progress and
transfers go straight to a fresh topic; the projections service consumes them; then
``bench.opengen`` (its own process) sends an organisation view, a review's board summary and an
as-of organisation view in turn at 500/s for 30 s (10 s in --quick). Latency is measured from
the scheduled send time. The baseline is the same generator against the service's /healthz (the
HTTP stack with no query), same rate, same run. The events are loaded with
``services.projections rebuild`` (faster than the live consumer), then ``serve`` starts.

The service keeps rendered answers per read-model position, and no event arrives during the
run, so the measured phase is the steady state at one position. Before it, each distinct URL is
asked once, one at a time (``first_answers``: what a cold render costs, by kind), then a
warm-up phase runs at the offered rate (10 s; 5 s in --quick; reported as ``warmup``). Without
the sequential pass, the first renders of the 390 distinct URLs (several seconds of CPU on two
shared cores) queued behind hundreds of open-loop requests and could spill into the measured
phase.

The pages for people (served by the same process on ``REMIT_PAGES_PORT``) are then measured the
same way on their own, at 100 pages/s: home, a review's board, a recommendation, a body and a
responsibility's lineage (with their pictures), round-robin over the generated history (target:
warm p99 < 50 ms).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import history
from bench.context import Context
from bench.cpu import CpuWindow
from bench.services import Service
from bench.stats import ratio, summarise
from bench.targets import below
from infra.settings import free_ports

TOPIC = "bench.queries.events"
RATE = 500
PAGES_RATE = 100
PAGE_KINDS = ("home", "board", "recommendation", "organisation", "lineage")
WARMUP_S = 10.0


def wait_caught_up(url: str, position: int, within_s: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < within_s:
        try:
            answer = httpx.get(
                f"{url}/v1/organisations/org-0", params={"min_position": position}, timeout=30
            )
            if answer.status_code == 200:
                return time.monotonic() - began
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"projections did not reach position {position} within {within_s}s")


def load(
    base_url: str,
    urls: list[list[str]],
    seconds: float,
    service_pid: int,
    warmup_s: float = 0,
    rate: int = RATE,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the measured phase and of the warm-up before it (none if ``warmup_s`` is 0);
    CPU is sampled over the first 80 % of the measured phase."""
    work = Path(tempfile.mkdtemp(prefix="queries-"))
    phases = [[rate, warmup_s], [rate, seconds]] if warmup_s else [[rate, seconds]]
    cfg = {
        "mode": "queries",
        "base_url": base_url,
        "urls": urls,
        "phases": phases,
        "connections": 64,
    }
    (work / "cfg.json").write_text(json.dumps(cfg))
    gen = subprocess.Popen(
        [sys.executable, "-m", "bench.opengen", str(work / "cfg.json"), str(work / "out.json")],
        stderr=subprocess.PIPE,
    )
    time.sleep(warmup_s)
    cpu = CpuWindow({"service": service_pid, "generator": gen.pid}).begin()
    time.sleep(seconds * 0.8)
    used = cpu.end()
    _, err = gen.communicate()
    if gen.returncode != 0:
        raise RuntimeError(f"opengen failed: {err.decode()[-2000:]}")
    out = json.loads((work / "out.json").read_text())
    measured = len(phases) - 1
    split: list[list[dict[str, Any]]] = [[], []]
    for row in out["rows"]:
        split[row["phase"] == measured].append(row)
        row["dropped_total"] = out["dropped"].get(str(row["phase"]), 0)
    warmup, rows = split
    rows = rows or [{"dropped_total": out["dropped"].get(str(measured), 0)}]
    rows[0]["cpu"] = used
    return rows, warmup


def cold_p99(first: dict[str, Any]) -> float | None:
    """The worst kind's p99 of the cold answers (the target is on every kind)."""
    p99s = [v["p99_ms"] for v in first.values() if isinstance(v, dict) and v.get("p99_ms")]
    return max(p99s) if p99s else None


def first_answers(base_url: str, urls: list[list[str]]) -> dict[str, Any]:
    """Each distinct URL once, one at a time: latency of cold answers by kind (the client's
    own overhead, ~1-2 ms, included)."""
    times: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for kind, url in dict.fromkeys((kind, url) for kind, url in urls):
            began = time.perf_counter()
            status = http.get(url).status_code
            times.setdefault(kind, []).append(time.perf_counter() - began)
            statuses[f"{kind} {status}"] = statuses.get(f"{kind} {status}", 0) + 1
    return {"statuses": statuses, **{kind: summarise(t) for kind, t in times.items()}}


def figures(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    ok = [r for r in rows if r.get("status") == 200]
    cpu = next((r["cpu"] for r in rows if "cpu" in r), None)
    return {
        "cpu_during_first_80pct": cpu,
        "requests": len(rows),
        "ok": len(ok),
        "achieved_per_s": round(len(ok) / seconds, 1),
        "not_ok": len(rows) - len(ok),
        "dropped_over_256_in_flight": rows[0]["dropped_total"] if rows else 0,
        "latency_from_schedule": summarise([r["done"] - r["scheduled"] for r in ok]),
        "service_time": summarise([r["done"] - r["sent"] for r in ok]),
    }


def page_urls(generated: dict[str, Any], reviews: int) -> list[list[str]]:
    """Pages of the generated history, of every kind, spread over its bodies and reviews."""
    per_review = max(1, generated["recommendations"] // reviews)
    n_orgs, n_resps = generated["organisations"], generated["responsibilities"]
    urls: list[list[str]] = []
    for i in range(60):
        review = f"review-{(i * 7) % reviews}"
        urls += [
            ["home", "/"],
            ["board", f"/reviews/{review}"],
            ["recommendation", f"/recommendations/{review}-rec-{i % per_review}"],
            ["organisation", f"/organisations/org-{(i * 13) % n_orgs}"],
            ["lineage", f"/responsibilities/resp-{(i * 11) % n_resps}"],
        ]
    return urls


def measure_pages(
    url: str, urls: list[list[str]], seconds: float, pid: int, warmup_s: float
) -> dict[str, Any]:
    """The pages at :data:`PAGES_RATE`, as the API's queries are measured."""
    first = first_answers(url, urls)
    rows, cold = load(url, urls, seconds, pid, warmup_s, rate=PAGES_RATE)
    overall = figures(rows, seconds)
    p99 = overall["latency_from_schedule"]["p99_ms"]
    return {
        "offered_per_s": PAGES_RATE,
        "first_answers": first,
        "warmup": {"seconds": warmup_s, "overall": figures(cold, warmup_s)},
        "overall": overall,
        "by_kind": {
            k: figures([r for r in rows if r.get("kind") == k], seconds) for k in PAGE_KINDS
        },
        "target_p99": below(p99, 50),
    }


def run(ctx: Context) -> dict[str, Any]:
    reviews, total = (50, 3_000) if ctx.quick else (500, 15_000)
    seconds = 5.0 if ctx.quick else 30.0
    ctx.stack.fresh_topic(TOPIC)
    generated = asyncio.run(history.produce(ctx.stack.kafka, TOPIC, total, reviews=reviews))
    env = {
        "REMIT_DATABASE_URL": ctx.stack.fresh_database("bench_queries"),
        **ctx.stack.kafka_env,
        "REMIT_EVENTS_TOPIC": TOPIC,
        "REMIT_CONSUMER_GROUP": "bench-queries",
        "REMIT_HOST": "127.0.0.1",
        "REMIT_PAGES_PORT": str(free_ports(1)[0]),
    }
    middle = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=30 * total // 2)
    n_orgs = generated["organisations"]
    urls: list[list[str]] = []
    for i in range(300):
        urls.append(["organisation", f"/v1/organisations/org-{i % n_orgs}"])
        urls.append(["board_summary", f"/v1/reviews/review-{i % reviews}/summary"])
        urls.append(
            [
                "as_of",
                f"/v1/organisations/org-{(i * 7) % n_orgs}"
                f"?as_of={middle.isoformat().replace('+00:00', 'Z')}",
            ]
        )
    began = time.monotonic()
    for step in ("migrate", "rebuild"):
        done = subprocess.run(
            [sys.executable, "-m", "services.projections", step],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"projections {step} failed: {done.stdout[-1500:]}")
    rebuilt_s = time.monotonic() - began
    with Service(
        "projections", "services.projections", "queries", ctx.log_dir, env=env, args=("serve",)
    ) as projections:
        projections.start()
        catch_up = wait_caught_up(projections.url, total, 900) + rebuilt_s
        print(f"  queries: projections consumed {total} events in {catch_up:.0f}s", flush=True)
        warmup_s = WARMUP_S * (0.5 if ctx.quick else 1)
        first = first_answers(projections.url, urls)
        rows, cold = load(projections.url, urls, seconds, projections.pid, warmup_s)
        base_rows, _ = load(
            projections.url, [["healthz", "/healthz"]], seconds, projections.pid, warmup_s
        )
        pages_url = f"http://127.0.0.1:{env['REMIT_PAGES_PORT']}"
        urls_of_pages = page_urls(generated, reviews)
        pages = measure_pages(pages_url, urls_of_pages, seconds, projections.pid, warmup_s)
    by_kind = {
        kind: figures([r for r in rows if r.get("kind") == kind], seconds)
        for kind in ("organisation", "board_summary", "as_of")
    }
    overall = figures(rows, seconds)
    baseline = figures(base_rows, seconds)
    p99 = overall["latency_from_schedule"]["p99_ms"]
    return {
        "workload": "queries",
        "offered_per_s": RATE,
        "seconds": seconds,
        "loaded": {
            "events": total,
            "recommendations": generated["recommendations"],
            "catch_up_s": round(catch_up, 1),
            "load_events_per_s": round(total / catch_up) if catch_up else None,
        },
        "first_answers": first,
        "warmup": {
            "seconds": warmup_s,
            "overall": figures(cold, warmup_s),
            "by_kind": {
                kind: figures([r for r in cold if r.get("kind") == kind], warmup_s)
                for kind in ("organisation", "board_summary", "as_of")
            },
        },
        "overall": overall,
        "by_kind": by_kind,
        "baseline_healthz": baseline,
        "p99_over_healthz_p99": ratio(p99, baseline["latency_from_schedule"]["p99_ms"]),
        "pages": pages,
        "targets": {
            "p99_ms": below(p99, 10),
            "cold_render_p99_ms_worst_kind": below(cold_p99(first), 50),
            "pages_p99_ms": pages["target_p99"],
        },
    }
