"""In-process timing of the read paths, before (load everything / fold everything) and after
(targeted), on a generated history with about 10k recommendations. Not a test, not a benchmark
(bench/ does those): one request at a time, service layer only (snapshot, lookups, fold, view;
no HTTP).

    REMIT_DATABASE_URL=postgresql+asyncpg://... python -m tests.integration.projections.timing
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.projections.domain import views
from services.projections.errors import NotFound
from services.projections.service_layer.ports import Bound
from services.projections.service_layer.queries import Snapshot
from tests.integration.projections.history import History
from tests.integration.projections.loaded import Loaded, loaded

Request = Callable[[Snapshot, str], Awaitable[Any]]


async def _after(snap: Snapshot, kind: str, entity: str) -> Any:
    if kind == "organisation":
        return await snap.organisation(entity, await snap.history("org_ids", entity))
    if kind == "summary":
        return await snap.summary(entity)
    if kind == "recommendation":
        return await snap.recommendation(entity, await snap.history("rec_ids", entity))
    return await snap.lineage(entity)


async def _before(snap: Snapshot, kind: str, entity: str) -> Any:
    world = await snap.world()
    if kind == "organisation":
        history = await snap.history("org_ids", entity)
        return views.organisation_view(world, entity, history)
    if kind == "summary":
        return views.review_summary(world, entity)
    if kind == "recommendation":
        history = await snap.history("rec_ids", entity)
        return views.recommendation_view(world, entity, history)
    return views.lineage(world, entity)


async def _time(
    model: Loaded, bound: Bound, way: Callable[..., Awaitable[Any]], kind: str, ids: list[str]
) -> list[float]:
    took = []
    for entity in ids:
        began = time.perf_counter()
        async with model.snapshot(bound) as snap:
            try:
                await way(snap, kind, entity)
            except NotFound:
                pass
        took.append((time.perf_counter() - began) * 1000)
    return took


def _line(label: str, took: list[float]) -> str:
    took = sorted(took)
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    return (
        f"{label:<44} n={len(took):<4} p50={statistics.median(took):7.1f} ms "
        f"p99={p99:7.1f} ms max={took[-1]:7.1f} ms"
    )


async def _profile(url: str, events: list[Any], orgs: list[str]) -> None:
    import cProfile
    import pstats

    async with loaded(url, events) as model:
        await _time(model, Bound(), _after, "organisation", orgs[:3])
        profile = cProfile.Profile()
        profile.enable()
        await _time(model, Bound(), _after, "organisation", orgs)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumtime").print_stats(25)


async def main(total: int, samples: int, before_samples: int) -> None:
    history = History(seed=3, orgs=300, reviews=200, recs=50, resps=2_000)
    events = history.generate(total)
    rng = random.Random(5)
    pools = {
        "organisation": history.orgs,
        "summary": [f"review-{i}" for i in range(history.n_reviews)],
        "recommendation": [rec for rec, _ in history.recs],
        "responsibility": history.resps,
    }
    print(f"{len(events)} events, {len(history.recs)} recommendations, {len(history.orgs)} bodies")
    if os.environ.get("TIMING_PROFILE"):
        await _profile(os.environ["REMIT_DATABASE_URL"], events, history.orgs[:20])
        return
    url = os.environ["REMIT_DATABASE_URL"]
    async with loaded(url, events) as model:
        bounds = {
            "current": Bound(),
            "at_position": Bound(position=len(events) // 2),
            "as_of": Bound(as_of=events[len(events) * 3 // 4].event.recorded_at),
        }
        for kind, pool in pools.items():
            for name, bound in bounds.items():
                ids = [rng.choice(pool) for _ in range(samples)]
                await _time(model, bound, _after, kind, ids[:5])  # warm up
                print(_line(f"after  {kind} {name}", await _time(model, bound, _after, kind, ids)))
                if before_samples:
                    before = await _time(model, bound, _before, kind, ids[:before_samples])
                    print(_line(f"before {kind} {name}", before))


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [60_000, 200, 3][len(args) :])))
