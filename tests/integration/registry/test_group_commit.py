"""Group commit against PostgreSQL: commands handed in together are one batch, each decided
against what the earlier ones appended, with gap-free positions and one winner per contest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.common.tokens import Caller
from services.registry import metrics
from services.registry.bootstrap import Registry, bootstrap
from services.registry.config import RegistrySettings
from services.registry.domain import commands as c
from services.registry.errors import DomainRuleViolated
from services.registry.service_layer.command_runner import CommandResult

SOURCE = {"document": "test", "passage": "a passage"}
WRITER = Caller("tester", None, frozenset({"registry:write"}))


def cmd(cls: type[Any], **fields: Any) -> Any:
    return cls.model_validate({"source": SOURCE, **fields})


def register(org: str) -> Any:
    return cmd(c.RegisterOrganisation, organisation_id=org, name=org.upper(), kind="other")


@pytest.fixture
async def registry(settings: RegistrySettings) -> AsyncIterator[Registry]:
    wired = bootstrap(settings)
    yield wired
    await wired.close()


def batches() -> tuple[float, float]:
    """(batches written, commands in them) so far, from the registry's metric."""
    [metric] = metrics.BATCH_COMMANDS.collect()
    samples = {s.name: s.value for s in metric.samples}
    return samples["remit_registry_batch_commands_count"], samples[
        "remit_registry_batch_commands_sum"
    ]


async def submit_together(registry: Registry, commands: list[Any]) -> list[Any]:
    return await asyncio.gather(
        *(registry.submit(command, WRITER) for command in commands), return_exceptions=True
    )


async def test_commands_handed_in_together_are_one_batch_with_gap_free_positions(
    registry: Registry,
) -> None:
    before = batches()
    results = await submit_together(registry, [register(f"o{i}") for i in range(30)])
    written, commands = (a - b for a, b in zip(batches(), before, strict=True))
    assert (written, commands) == (1, 30)
    assert [r.events[0].position for r in results] == list(range(1, 31))
    stored = await registry.feed.read_all(after=0, limit=100)
    assert [event.stream_id for _, event in stored] == [f"organisation-o{i}" for i in range(30)]


async def test_a_contest_inside_one_batch_has_one_winner(registry: Registry) -> None:
    for org in ("holder", "x", "y", "z"):
        await registry.submit(register(org), WRITER)
    assign = cmd(
        c.AssignResponsibility, responsibility_id="r", description="Do", holder_id="holder"
    )
    await registry.submit(assign, WRITER)
    moves = [
        cmd(c.TransferResponsibility, responsibility_id="r", from_id="holder", to_id=to, reason="x")
        for to in ("x", "y", "z")
    ]
    won, *lost = await submit_together(registry, moves)
    assert isinstance(won, CommandResult) and won.events[0].stream_version == 2
    assert all(isinstance(result, DomainRuleViolated) for result in lost)
    stream = await registry.feed.read_stream("responsibility-r")
    assert [version for _, version, _ in stream] == [1, 2]
