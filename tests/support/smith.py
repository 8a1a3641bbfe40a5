"""The Smith review's events, produced by the registry's real domain over fakes (no I/O).

Read-side tests publish these to Kafka instead of running the whole write side.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from schemas.wire import PositionedEvent
from services.registry.dataset import load_dataset
from services.registry.domain.commands import AnyCommand
from services.registry.domain.context import Context
from services.registry.service_layer.command_runner import run_command
from tests.unit.registry.fakes import FakePositions, FakeUnitOfWork

DATASET = Path(__file__).resolve().parents[2] / "data" / "smith-review.yaml"
_NAMESPACE = UUID("6f1c1a52-6a7e-4c41-9d2f-1b1b5b0f8c11")


def import_context(dataset: str, key: str, command: AnyCommand, **more: Any) -> Context:
    """The context the importer's command ``key`` of ``dataset`` runs in."""
    return Context(
        actor="smith-import",
        correlation_id=f"{dataset}:{key}",
        now=datetime(2026, 11, 25, tzinfo=UTC),
        source=command.source,
        occurred_at=command.occurred_at,
        **more,
    )


async def _run() -> list[PositionedEvent]:
    dataset = load_dataset(DATASET)
    uow = FakeUnitOfWork()
    positions = FakePositions(uow)
    counter = iter(range(1, 10_000))
    for key, command in dataset.commands:
        new_id = lambda: uuid5(_NAMESPACE, str(next(counter)))  # noqa: E731
        ctx = import_context(dataset.dataset, key, command, new_id=new_id)
        await run_command(command, ctx, lambda: uow, positions)
    return [PositionedEvent(e, i + 1) for i, e in enumerate(uow.events.committed)]


@cache
def smith_events() -> tuple[PositionedEvent, ...]:
    """Deterministic: same ids and positions every time. Safe to call inside a running loop
    (the domain runs on a thread of its own)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return tuple(pool.submit(asyncio.run, _run()).result())
