"""Open-loop load generator, run as its own process: ``python -m bench.opengen CONFIG OUT``.

Requests are scheduled at a fixed rate per phase whatever the answers do, so slow answers show
up as latency (measured from the scheduled time: no coordinated omission) instead of as a lower
offered rate. Two modes:

- ``commands``: the registry command mix over ``lanes`` independent lanes (a lane has one
  command in flight; a tick that finds every lane busy is counted as ``skipped``). After each
  answer it asks the projections for the changed entity with ``min_position`` (read-your-writes)
  if ``projections`` is set. Times are wall-clock (``time.time()``) so that the orchestrator can
  join them with Kafka and webhook arrival times.
- ``queries``: GETs from ``urls`` (``[label, url]`` pairs) round-robin.

Both go over :class:`~bench.rawhttp.RawHttp` keep-alive connections on uvloop when installed
(httpx's per-request CPU made the generator the bottleneck on two cores).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench import mix
from bench.rawhttp import RawHttp


def _row(phase: int, scheduled: float, **label: Any) -> dict[str, Any]:
    """The record of one request sent now: its phase, what it is, when it was due and sent."""
    return {"phase": phase, **label, "scheduled": scheduled, "sent": time.time()}


async def commands(cfg: dict[str, Any]) -> dict[str, Any]:
    lanes = mix.Mix(tag=cfg["tag"], lanes=cfg["lanes"])
    rows: list[dict[str, Any]] = []
    skipped = [0] * len(cfg["phases"])
    busy = [False] * lanes.lanes
    step = [0] * lanes.lanes
    async with mix.client(cfg["registry"], lanes.lanes) as http:
        reads = RawHttp(cfg.get("projections") or "http://unused", lanes.lanes)
        await mix.run_setup(http, lanes, with_orgs=False)

        async def fire(lane: int, phase: int, scheduled: float) -> None:
            k = step[lane]
            url, body, op = lanes.request(lane, k)
            row = _row(phase, scheduled, op=op)
            try:
                result = await mix.post(http, url, body, f"{lanes.tag}-{lane}-{k}")
                row["response"] = time.time()
                row["event_ids"] = [e["event_id"] for e in result["events"]]
                row["position"] = result["position"]
                lanes.succeeded(url, body)
                step[lane] = k + 1
                if cfg.get("projections") and result["position"]:
                    status, _ = await reads.get(
                        f"{read_url(url, body)}?min_position={result['position']}"
                    )
                    row["read"] = time.time()
                    row["read_status"] = status
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"[:200]
            finally:
                busy[lane] = False
                rows.append(row)

        try:
            await schedule(cfg["phases"], lambda phase, t: pick(busy, skipped, phase, t, fire))
        finally:
            await reads.aclose()
    return {"rows": rows, "skipped": skipped, "dropped": DROPPED}


def read_url(command_url: str, body: dict[str, Any]) -> str:
    """The read model's page of what the command changed: the responsibility, or the
    recommendation (named in the body when the command records it under its review)."""
    parts = command_url.split("/")
    if parts[2] == "responsibilities":
        return f"/v1/responsibilities/{parts[3]}"
    if parts[2] == "recommendations":
        return f"/v1/recommendations/{parts[3]}"
    return f"/v1/recommendations/{body['recommendation_id']}"


_NEXT = [0]


def pick(busy: list[bool], skipped: list[int], phase: int, t: float, fire: Any) -> Any:
    n = len(busy)
    for i in range(n):
        lane = (_NEXT[0] + i) % n
        if not busy[lane]:
            busy[lane] = True
            _NEXT[0] = lane + 1
            return fire(lane, phase, t)
    skipped[phase] += 1
    return None


MAX_IN_FLIGHT = 256
"""Beyond this many outstanding requests a tick is dropped (counted), so an overloaded service
cannot make the generator itself the bottleneck."""
DROPPED: dict[int, int] = {}


async def schedule(phases: list[list[float]], launch: Any) -> None:
    tasks: set[asyncio.Task[None]] = set()
    for phase, (rate, seconds) in enumerate(phases):
        start = time.time()
        count = int(rate * seconds)
        for i in range(count):
            at = start + i / rate
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                DROPPED[phase] = DROPPED.get(phase, 0) + 1
                continue
            coro = launch(phase, at)
            if coro is not None:
                task = asyncio.create_task(coro)
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        await asyncio.sleep(max(0.0, start + seconds - time.time()))
    if tasks:
        await asyncio.wait(tasks, timeout=60)


async def queries(cfg: dict[str, Any]) -> dict[str, Any]:
    urls: list[list[str]] = cfg["urls"]  # [label, url]
    rows: list[dict[str, Any]] = []
    http = RawHttp(cfg["base_url"], cfg.get("connections", 64), timeout_s=30)
    counter = [0]

    async def one(phase: int, scheduled: float) -> None:
        kind, url = urls[counter[0] % len(urls)]
        counter[0] += 1
        row = _row(phase, scheduled, kind=kind)
        try:
            row["status"], _ = await http.get(url)
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
        row["done"] = time.time()
        rows.append(row)

    try:
        await schedule(cfg["phases"], lambda phase, t: one(phase, t))
    finally:
        await http.aclose()
    return {"rows": rows, "dropped": DROPPED}


def main(config_path: str, out_path: str) -> None:
    with open(config_path) as f:
        cfg = json.load(f)
    result = run_fast(commands(cfg) if cfg["mode"] == "commands" else queries(cfg))
    with open(out_path, "w") as out:
        json.dump(result, out)


def run_fast(coro: Any) -> Any:
    """``asyncio.run`` on uvloop when it is installed (it is, with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
