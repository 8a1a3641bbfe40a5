"""Workload 2: from the registry's HTTP answer to (a) Kafka, (b) the read model, (c) a webhook.

A steady phase (200 commands/s for 60 s; 25/s for 6 s in --quick) follows lower steps (from
10/s) and is followed by a higher one, to find the knee: the highest offered rate the registry
still answers at (>= 95 % of offered, HTTP p99 < 1 s). The load comes from ``bench.opengen``
in its own process; this process runs the Kafka consumer and the webhook receiver. Every
organisation is subscribed (webhook to 127.0.0.1), so every command that names a body should
raise an alert.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import mix
from bench.context import Context
from bench.cpu import CpuWindow, ms_per_unit
from bench.observe import KafkaArrivals, WebhookReceiver
from bench.services import Service
from bench.stats import summarise
from bench.targets import at_least, at_most, below
from services.common.auth import issue_token
from services.registry.config import RegistrySettings

TOPIC = "bench.e2e.events"
FULL_PHASES: list[list[float]] = [[10, 10], [25, 10], [50, 10], [100, 10], [200, 60], [300, 10]]
"""Low steps first: on two shared cores the knee may sit well below the 200/s steady phase, and
latencies below the knee say what the pipeline costs when it is not queueing."""
QUICK_PHASES: list[list[float]] = [[10, 4], [25, 6]]
STEADY = {"full": 4, "quick": 1}


def log_tail(service: Service, lines: int = 15) -> str:
    logs = sorted(service.log_dir.glob(f"{service.workload}-{service.name}-*.log"))
    if not logs:
        return ""
    return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])


def start_optional(service: Service) -> str | None:
    """Start ``service``; return why it could not be started, or None."""
    try:
        service.start(within_s=60)
    except Exception as exc:
        service.stop()
        return f"{service.module} did not start ({exc}); log tail:\n{log_tail(service)}"
    return None


def service_env(ctx: Context, database: str, group: str) -> dict[str, str]:
    return {
        "REMIT_DATABASE_URL": ctx.stack.fresh_database(database),
        **ctx.stack.kafka_env,
        "REMIT_EVENTS_TOPIC": TOPIC,
        "REMIT_CONSUMER_GROUP": group,
        "REMIT_HOST": "127.0.0.1",
    }


async def subscribe(notifier_url: str, hook: str, orgs: Sequence[str]) -> None:
    async with httpx.AsyncClient(base_url=notifier_url, timeout=30) as http:
        for org in orgs:
            token = issue_token(
                RegistrySettings(), f"bench-{org}", ["subscriptions:write"], organisation_id=org
            )
            answer = await http.post(
                "/v1/subscriptions",
                # registered just before the notifier started: it may not have read them yet
                json={"channel": "webhook", "url": hook, "await_registration": True},
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code != 201:
                raise RuntimeError(f"subscribe {org}: {answer.status_code} {answer.text[:300]}")


async def register_orgs(registry_url: str) -> None:
    setup = mix.Mix(tag="e2e-orgs", lanes=0)
    async with mix.client(registry_url, 8) as http:
        await mix.run_setup(http, setup, with_orgs=True)


def generate(
    ctx: Context, registry: str, projections: str | None, phases: list[list[float]]
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="opengen-"))
    cfg = {
        "mode": "commands",
        "registry": registry,
        "projections": projections,
        "phases": phases,
        "tag": "e2e",
        "lanes": 32 if ctx.quick else 128,
    }
    (work / "cfg.json").write_text(json.dumps(cfg))
    done = subprocess.run(
        [sys.executable, "-m", "bench.opengen", str(work / "cfg.json"), str(work / "out.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"opengen failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads((work / "out.json").read_text())
    return result


def phase_figures(
    rows: list[dict[str, Any]],
    rate: float,
    seconds: float,
    skipped: int,
    kafka: dict[str, float],
    hooks: dict[str, float] | None,
    reads_on: bool,
) -> dict[str, Any]:
    ok = [r for r in rows if "response" in r]
    http = [r["response"] - r["scheduled"] for r in ok]
    to_kafka = [
        kafka[r["event_ids"][0]] - r["response"]
        for r in ok
        if r["event_ids"] and r["event_ids"][0] in kafka
    ]
    out: dict[str, Any] = {
        "offered_per_s": rate,
        "seconds": seconds,
        "answered_per_s": round(len(ok) / seconds, 1),
        "errors": len(rows) - len(ok),
        "skipped_all_lanes_busy": skipped,
        "http_latency_from_schedule": summarise(http),
        "a_response_to_kafka": summarise(to_kafka),
        "a_missing": sum(1 for r in ok if r["event_ids"] and r["event_ids"][0] not in kafka),
    }
    if reads_on:
        reads = [r["read"] - r["response"] for r in ok if r.get("read_status") == 200]
        out["b_response_to_read_model"] = summarise(reads)
        statuses: dict[str, int] = {}
        for r in ok:
            if r.get("read_status") not in (200, None):
                statuses[str(r["read_status"])] = statuses.get(str(r["read_status"]), 0) + 1
        out["b_not_200_by_status"] = statuses
    if hooks is not None:
        alerted = [
            hooks[r["event_ids"][0]] - r["response"]
            for r in ok
            if r["event_ids"] and r["event_ids"][0] in hooks
        ]
        out["c_response_to_webhook"] = summarise(alerted)
        out["c_commands_with_webhook"] = len(alerted)
    return out


def knee(phases: list[dict[str, Any]]) -> float | None:
    good = [
        p["offered_per_s"]
        for p in phases
        if p["answered_per_s"] >= 0.95 * p["offered_per_s"]
        and (p["http_latency_from_schedule"]["p99_ms"] or 1e9) < 1000
    ]
    return max(good) if good else None


def run(ctx: Context) -> dict[str, Any]:
    ctx.stack.fresh_topic(TOPIC)
    phases = QUICK_PHASES if ctx.quick else FULL_PHASES
    result: dict[str, Any] = {"workload": "e2e", "topic": TOPIC, "skipped": {}}
    kafka = KafkaArrivals(ctx.stack.kafka, TOPIC).start()
    hooks = WebhookReceiver().start()
    registry = ctx.registry("e2e", "bench_e2e", REMIT_EVENTS_TOPIC=TOPIC)
    projections = Service(
        "projections",
        "services.projections",
        "e2e",
        ctx.log_dir,
        env={**service_env(ctx, "bench_e2e_proj", "bench-e2e-proj"), "REMIT_PAGES_PORT": "0"},
        args=("serve",),
    )
    env = service_env(ctx, "bench_e2e_notif", "bench-e2e-notif")
    env["REMIT_WEBHOOK_ALLOW_HOSTS"] = '["127.0.0.1"]'
    env["REMIT_WEBHOOK_ALLOW_NETWORKS"] = '["127.0.0.0/8"]'
    notifier = Service("notifier", "services.notifier", "e2e", ctx.log_dir, env=env)
    try:
        registry.start()
        asyncio.run(register_orgs(registry.url))
        if why := start_optional(projections):
            result["skipped"]["b"] = f"skipped: {why}"
        if why := start_optional(notifier):
            result["skipped"]["c"] = f"skipped: {why}"
        elif why := _try(
            lambda: asyncio.run(subscribe(notifier.url, hooks.url, mix.Mix(tag="x", lanes=0).orgs))
        ):
            result["skipped"]["c"] = f"skipped: subscribing failed: {why}"
            notifier.stop()
        pids = {s.name: s.pid for s in (registry, projections, notifier) if s.process}
        cpu = CpuWindow(pids).begin()
        out = generate(ctx, registry.url, projections.url if projections.process else None, phases)
        result["cpu"] = cpu.end()
        time.sleep(3)  # stragglers: relay, projections, webhooks
        settled = cpu.end()
    finally:
        kafka.stop()
        hooks.stop()
        for service in (notifier, projections, registry):
            service.stop()
    figures = []
    for i, (rate, seconds) in enumerate(phases):
        rows = [r for r in out["rows"] if r["phase"] == i]
        skipped = out["skipped"][i] + out.get("dropped", {}).get(str(i), 0)
        figures.append(
            phase_figures(
                rows,
                rate,
                seconds,
                skipped,
                kafka.arrivals,
                None if "c" in result["skipped"] else hooks.arrivals,
                "b" not in result["skipped"],
            )
        )
    result["phases"] = figures
    result["steady"] = figures[STEADY["quick" if ctx.quick else "full"]]
    result["knee_offered_per_s"] = knee(figures)
    result["webhook_deliveries"] = hooks.deliveries
    result["cpu_per_unit"] = cpu_per_unit(settled, out["rows"], kafka.arrivals, hooks.arrivals)
    result["targets"] = targets(result)
    return result


def cpu_per_unit(
    used: dict[str, float],
    rows: list[dict[str, Any]],
    events: dict[str, float],
    alerted: dict[str, float],
) -> dict[str, Any]:
    """CPU ms per unit over all phases and their stragglers: registry per command answered,
    projections per event on the topic (its process also serves the generator's reads),
    notifier per event that matched a subscription (received by the webhook receiver)."""
    commands = sum(1 for r in rows if "response" in r)
    return {
        "commands": commands,
        "events": len(events),
        "matched_events": len(alerted),
        "registry_ms_per_command": ms_per_unit(used.get("registry_cpu_s"), commands),
        "projections_ms_per_event": ms_per_unit(used.get("projections_cpu_s"), len(events)),
        "notifier_ms_per_matched_event": ms_per_unit(used.get("notifier_cpu_s"), len(alerted)),
    }


def _try(action: Any) -> str | None:
    try:
        action()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def targets(result: dict[str, Any]) -> dict[str, Any]:
    steady, per_unit = result["steady"], result["cpu_per_unit"]
    b = (steady.get("b_response_to_read_model") or {}).get("p99_ms")
    c = (steady.get("c_response_to_webhook") or {}).get("p99_ms")
    return {
        "knee_offered_per_s": at_least(result["knee_offered_per_s"], 200),
        "b_p99_ms": below(b, 100),
        "c_p99_ms": below(c, 250),
        "registry_cpu_ms_per_command": at_most(per_unit["registry_ms_per_command"], 1.0),
        "projections_cpu_ms_per_event": at_most(per_unit["projections_ms_per_event"], 0.5),
        "notifier_cpu_ms_per_matched_event": at_most(
            per_unit["notifier_ms_per_matched_event"], 1.0
        ),
    }
