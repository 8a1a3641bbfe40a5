"""Generate docs/benchmarks.md from bench/results/*.json (full run) + bench/analysis.md."""

from __future__ import annotations

import json
from typing import Any

from bench.context import RESULTS

ROOT = RESULTS.parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ANALYSIS = RESULTS.parent / "analysis.md"


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def lat(summary: dict[str, Any] | None, keys: tuple[str, ...] = ("p50", "p99")) -> list[str]:
    summary = summary or {}
    return [f(summary.get(f"{k}_ms"), 1) for k in keys]


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def environment(env: dict[str, Any]) -> list[str]:
    m = env["machine"]
    pg = env["postgres_settings"]
    return [
        f"- **Date**: {m['date']} (commit `{m['commit']}`)",
        f"- **Machine**: {m['cpu']}, **{m['cores']} cores**, {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}, Python {m['python']}; shared and noisy (load average "
        f"{m['loadavg_at_start']:.1f} when the run started)",
        f"- **PostgreSQL**: {env['postgres']}",
        f"- **Kafka**: {env['kafka']}",
        "- **PostgreSQL settings**: " + ", ".join(f"`{k}={v}`" for k, v in pg.items()),
        "",
    ]


def targets(results: dict[str, dict[str, Any] | None]) -> list[str]:
    rows = []
    for name, result in results.items():
        for key, t in ((result or {}).get("targets") or {}).items():
            met = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
            rows.append([name, key, f(t["value"], 2), f(t["target"], 2), met])
    return table(["workload", "figure", "value", "target", ""], rows)


def append_section(r: dict[str, Any]) -> list[str]:
    rows = []
    for lv in r["levels"]:
        rm, es, pg = lv["remit"], lv["eventsourcing"], lv["pgbench"]
        rows.append(
            [
                str(lv["clients"]),
                f(rm["commands_per_s"]),
                *lat(rm["latency"]),
                f(es["commands_per_s"]),
                *lat(es["latency"]),
                f(pg["commands_per_s"]),
                *lat(pg["latency"]),
                f(lv["remit_over_eventsourcing"], 2),
                f(lv["remit_over_pgbench"], 3),
                f(rm.get("registry_cores"), 2),
                f(rm.get("registry_ms_per_command"), 2),
                f(rm.get("machine_busy"), 2),
            ]
        )
    sizes = r.get("stored_sizes", {})
    out = [
        f"Closed loop, {r['warmup_s']:g} s warm-up + {r['duration_s']:g} s measured per cell. "
        "Latency in ms. Average stored event size: Remit "
        f"{f(sizes.get('remit_payload_bytes'), 0)} B (payload jsonb as text), eventsourcing "
        f"{f(sizes.get('eventsourcing_state_bytes'), 0)} B (state), pgbench "
        f"{f(sizes.get('pgbench_payload_bytes'), 0)} B.",
        "",
    ]
    out += table(
        [
            "clients",
            "Remit cmd/s",
            "p50",
            "p99",
            "eventsourcing cmd/s",
            "p50",
            "p99",
            "pgbench tx/s",
            "p50",
            "p99",
            "Remit/es",
            "Remit/pgbench",
            "registry cores",
            "registry CPU ms/command",
            "machine busy",
        ],
        rows,
    )
    return out + profile_lines(r.get("profile"), "registry at 16 clients")


def profile_lines(p: dict[str, Any] | None, what: str) -> list[str]:
    if not p:
        return []
    py = p.get("python") if "python" in p else p
    out = [f"Profile ({what}, py-spy):"]
    if isinstance(py, dict):
        out.append(
            f"busy {f(py.get('busy_fraction_of_one_core'), 2)} of one core; self time by "
            "package: "
            + ", ".join(f"{k} {v:.0%}" for k, v in py.get("self_time_by_package", {}).items())
        )
    elif py:
        out.append(str(py))
    if p.get("pg_active_backends_by_wait"):
        out.append(
            "; PostgreSQL active backends by wait event (mean count): "
            + ", ".join(f"{k} {v}" for k, v in p["pg_active_backends_by_wait"].items())
        )
    return [" ".join(out), ""]


def e2e_section(r: dict[str, Any]) -> list[str]:
    out = [
        f"Open loop from a separate process; the steady phase is the "
        f"{f(r['steady']['offered_per_s'])}/s one. Knee (highest offered rate answered at "
        f">= 95 % with HTTP p99 < 1 s): **{f(r.get('knee_offered_per_s'))} commands/s**. "
        "Latencies in ms from the HTTP response (negative: the record was on Kafka before "
        "the client had read the answer).",
        "",
    ]
    for key, why in r.get("skipped", {}).items():
        out += [f"({key}) {why.splitlines()[0]}", ""]
    rows = []
    for p in r["phases"]:
        keys = ("p50", "p95", "p99", "p999")
        rows.append(
            [
                f(p["offered_per_s"]),
                f(p["seconds"]),
                f(p["answered_per_s"]),
                f(p["skipped_all_lanes_busy"]),
                *lat(p["http_latency_from_schedule"]),
                *lat(p["a_response_to_kafka"], keys),
                *lat(p.get("b_response_to_read_model"), keys),
                *lat(p.get("c_response_to_webhook"), keys),
                *(
                    f((p.get("cpu_per_unit") or {}).get(k), 2)
                    for k in (
                        "registry_ms_per_command",
                        "projections_ms_per_event",
                        "notifier_ms_per_matched_event",
                    )
                ),
            ]
        )
    return (
        out
        + table(
            [
                "offered/s",
                "s",
                "answered/s",
                "skipped",
                "HTTP p50",
                "HTTP p99",
                "(a) Kafka p50",
                "p95",
                "p99",
                "p99.9",
                "(b) read model p50",
                "p95",
                "p99",
                "p99.9",
                "(c) webhook p50",
                "p95",
                "p99",
                "p99.9",
                "CPU ms: registry /command",
                "projections /event",
                "notifier /alerted event",
            ],
            rows,
        )
        + cpu_per_unit_lines(r.get("cpu_per_unit"), r.get("cpu"))
    )


def cpu_per_unit_lines(u: dict[str, Any] | None, cores: dict[str, Any] | None) -> list[str]:
    if not u:
        return []
    cores = cores or {}
    return [
        "CPU per unit over all phases, the low ones included "
        f"({f(u['commands'])} commands, {f(u['events'])} events, "
        f"{f(u['matched_events'])} alerted events; machine busy "
        f"{f(cores.get('machine_busy'), 2)}): registry "
        f"**{f(u['registry_ms_per_command'], 2)} ms** per command, projections "
        f"**{f(u['projections_ms_per_event'], 2)} ms** per event (its reads for the generator "
        f"included), notifier **{f(u['notifier_ms_per_matched_event'], 2)} ms** per alerted "
        "event.",
        "",
    ]


def replay_section(r: dict[str, Any]) -> list[str]:
    if "rebuild" not in r:
        return [str(r.get("skipped") or r.get("broken")), ""]
    rb, bare = r["rebuild"], r["bare_consumer"]
    out = table(
        [
            "events",
            "projections rebuild events/s",
            "bare aiokafka consumer events/s",
            "rebuild/bare",
        ],
        [
            [
                f(rb["events"]),
                f(rb["events_per_s"]),
                f(bare["events_per_s"]),
                f(r["rebuild_over_bare"], 3),
            ]
        ],
    )
    if rb.get("large_rebuild") != "ran":
        out += [f"The 1M-event rebuild was {rb['large_rebuild']}.", ""]
    return out + profile_lines(rb.get("profile"), "rebuild")


LATENCY_COLUMNS = ("p50", "p95", "p99", "p99.9", "service p50", "service p99")
"""The latency columns of the query and page tables (from the scheduled send, then service time)."""


def queries_section(r: dict[str, Any]) -> list[str]:
    keys = ("p50", "p95", "p99", "p999")
    rows = [
        [
            k,
            f(v["achieved_per_s"]),
            f(v["not_ok"]),
            f(v.get("dropped_over_256_in_flight")),
            *lat(v["latency_from_schedule"], keys),
            *lat(v["service_time"], ("p50", "p99")),
        ]
        for k, v in [
            *r["by_kind"].items(),
            ("all", r["overall"]),
            ("baseline: /healthz", r["baseline_healthz"]),
        ]
    ]
    loaded = r["loaded"]
    return [
        f"{f(loaded['recommendations'])} recommendations ({f(loaded['events'])} events, "
        f"loaded by rebuild + consumer at {f(loaded['load_events_per_s'])} events/s); offered "
        f"{r['offered_per_s']}/s for {r['seconds']:g} s, open loop from a separate "
        "process; latency from the scheduled send (ms).",
        "",
    ] + table(
        [
            "query",
            "achieved/s",
            "errors",
            "dropped (all kinds)",
            *LATENCY_COLUMNS,
        ],
        rows,
    )


def pages_section(r: dict[str, Any]) -> list[str]:
    """The pages for people, measured after the API's queries on the same process."""
    pages = r.get("pages")
    if not pages:
        return []
    keys = ("p50", "p95", "p99", "p999")
    rows = [
        [
            k,
            f(v["achieved_per_s"]),
            f(v["not_ok"]),
            *lat(v["latency_from_schedule"], keys),
            *lat(v["service_time"], ("p50", "p99")),
        ]
        for k, v in [*pages["by_kind"].items(), ("all", pages["overall"])]
    ]
    return [
        "",
        f"Pages for people (HTML, same process, `REMIT_PAGES_PORT`): offered "
        f"{pages['offered_per_s']}/s for {r['seconds']:g} s after their own warm-up, "
        "round-robin over home, boards, recommendations, bodies and lineages (ms).",
        "",
    ] + table(
        [
            "page",
            "achieved/s",
            "errors",
            *LATENCY_COLUMNS,
        ],
        rows,
    )


def memory_section(r: dict[str, Any]) -> list[str]:
    rows = [
        [w, s, f(kib / 1024, 0)] for w, per in r["peak_rss_kib"].items() for s, kib in per.items()
    ]
    return table(["workload", "process", "peak RSS MiB (VmHWM)"], rows)


def generate() -> None:
    results = {n: load(n) for n in ("append", "e2e", "replay", "queries")}
    memory = load("memory")
    env = next((r["environment"] for r in results.values() if r), None)
    if env is None:
        return
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`) from `bench/results/*.json`; do not "
        "edit by hand (the analysis comes from `bench/analysis.md`). Every figure is next to "
        "a baseline measured in the same run on the same PostgreSQL and Kafka.",
        "",
        "`make bench` (full, < 30 min on 2 cores) or `make bench-quick` (CI smoke, < 3 min, "
        "fails only if a workload breaks) start a private PostgreSQL + Kafka on free ports in "
        "a temporary directory, run the services as child processes, and write "
        "`bench/results/<workload>.json` (`quick-*.json` for the smoke run, not committed). "
        "`python -m bench --only append,e2e --no-profile` runs a subset. These are not "
        "tests: nothing asserts a figure. Both print the targets table below at the end, from "
        "their own run, so a regression shows in every CI log.",
        "",
    ]
    out += environment(env) + ["## Targets", ""] + targets(results)
    sections = (
        ("1. Append throughput", "append", append_section),
        ("2. End to end", "e2e", e2e_section),
        ("3. Replay", "replay", replay_section),
        ("4. Queries", "queries", lambda r: queries_section(r) + pages_section(r)),
    )
    for title, name, render in sections:
        r = results[name]
        out += [f"## {title}", ""]
        if r is None or "broken" in r:
            out += [f"Not measured: {'broken' if r else 'no result'}.", ""]
        else:
            out += render(r)
    if memory:
        out += ["## 5. Memory", ""] + memory_section(memory)
    if ANALYSIS.exists():
        out += [ANALYSIS.read_text().rstrip(), ""]
    DOC.write_text("\n".join(out))
    print(f"wrote {DOC.relative_to(ROOT)}")
