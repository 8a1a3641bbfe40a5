from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.envelope import Source
from services.registry.domain.context import Context
from services.registry.service_layer.command_runner import (
    NO_OPTIONS,
    CommandResult,
    SubmitOptions,
    run_command,
)
from services.registry.service_layer.group_commit import GroupCommit
from tests.unit.registry.fakes import FakePositions, FakeUnitOfWork

SOURCE = {"document": "test", "passage": "a passage"}


class Bus:
    """Runs commands against one shared fake database: each alone (``run_command``), or
    through :class:`GroupCommit` (``batched``), which must give the same answers."""

    def __init__(self, batched: bool = False) -> None:
        self.uow = FakeUnitOfWork()
        self.positions = FakePositions(self.uow)
        self.batched = batched

    async def run(self, cmd: Any, options: SubmitOptions = NO_OPTIONS) -> CommandResult:
        ctx = Context(
            actor="tester",
            correlation_id="corr-1",
            now=datetime(2026, 1, 1, tzinfo=UTC),
            source=Source(document="test", passage="a passage"),
        )
        if self.batched:
            return await GroupCommit(lambda: self.uow, self.positions).run(cmd, ctx, options)
        return await run_command(cmd, ctx, lambda: self.uow, self.positions, options)

    def events(self, stream_id: str | None = None) -> list[Any]:
        return [e for e in self.uow.events.committed if stream_id in (None, e.stream_id)]


@pytest.fixture(params=["alone", "batched"])
def bus(request: pytest.FixtureRequest) -> Bus:
    return Bus(batched=request.param == "batched")
