"""``python -m bench [--quick] [--only append,e2e,replay,queries] [--no-profile]``.

Starts a private PostgreSQL + Kafka (fresh state dir, free ports), runs the workloads in turn,
writes ``bench/results/<workload>.json`` (``quick-<workload>.json`` with ``--quick``) and
regenerates ``docs/benchmarks.md`` from the full results. Exit status is non-zero only when a
workload breaks (an exception), never because of a figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import time
import traceback
from typing import Any

from bench import report, services
from bench.context import RESULTS, Context
from bench.stack import BenchStack, machine

WORKLOADS = ("append", "e2e", "replay", "queries")


def environment(stack: BenchStack, quick: bool) -> dict[str, Any]:
    return {
        "machine": machine(),
        "postgres": stack.postgres_version,
        "kafka": f"Apache Kafka {stack.kafka_version} (KRaft, single node)",
        "postgres_settings": stack.pg_settings,
        "mode": "quick" if quick else "full",
    }


def write(name: str, quick: bool, payload: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{'quick-' if quick else ''}{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(RESULTS.parent.parent)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke: small sizes, < 3 min")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile in --quick too")
    args = parser.parse_args(argv)
    chosen = [w for w in args.only.split(",") if w]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally: stop the stack
    began = time.monotonic()
    stack = BenchStack.start()
    ctx = Context(
        stack, quick=args.quick, profile=args.profile or not (args.no_profile or args.quick)
    )
    env = environment(stack, args.quick)
    broken: list[str] = []
    results: dict[str, dict[str, Any] | None] = {}
    try:
        for name in chosen:
            print(f"== {name}", flush=True)
            started = time.monotonic()
            try:
                module = importlib.import_module(f"bench.workloads.{name}")
                result = module.run(ctx)
            except Exception:
                traceback.print_exc()
                broken.append(name)
                result = {"workload": name, "broken": traceback.format_exc(limit=5)}
            result["elapsed_s"] = round(time.monotonic() - started, 1)
            write(name, args.quick, {"environment": env, **result})
            results[name] = result
        memory = {"workload": "memory", "peak_rss_kib": services.PEAKS}
        write("memory", args.quick, {"environment": env, **memory})
    finally:
        stack.down()
    if not args.quick:
        report.generate()
    print("\n".join(["targets (same-run figures):", *report.targets(results)]), flush=True)
    print(f"bench: {time.monotonic() - began:.0f}s; broken: {', '.join(broken) or 'none'}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
