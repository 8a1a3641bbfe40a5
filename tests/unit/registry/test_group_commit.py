"""Group commit: commands that arrive together are decided in order and committed together, and
each gets the answer it would have had alone (against fakes, no I/O)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.envelope import Source
from services.registry.domain import commands as c
from services.registry.domain.context import Context
from services.registry.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    UnknownEntity,
)
from services.registry.service_layer.command_runner import NO_OPTIONS, CommandResult, SubmitOptions
from services.registry.service_layer.group_commit import GroupCommit
from services.registry.service_layer.ports import ScopedKey, caller_scope
from tests.unit.registry.fakes import FakePositions, FakeUnitOfWork
from tests.unit.registry.test_handlers import cmd

KEYED = SubmitOptions(ScopedKey(caller_scope("tester"), "k"))


class Database:
    """Units of work of their own over one committed state, as connections to one database."""

    def __init__(self) -> None:
        self.shared = FakeUnitOfWork()
        self.units: list[FakeUnitOfWork] = []
        self.positions = FakePositions(self.shared)

    def unit_of_work(self) -> FakeUnitOfWork:
        unit = self.new_unit()
        unit.events.committed = self.shared.events.committed
        unit.idempotency.committed = self.shared.idempotency.committed
        self.units.append(unit)
        return unit

    def new_unit(self) -> FakeUnitOfWork:
        return FakeUnitOfWork()

    @property
    def commits(self) -> int:
        return sum(unit.commits for unit in self.units)

    def stream(self, stream_id: str) -> list[Any]:
        return [e for e in self.shared.events.committed if e.stream_id == stream_id]


def context() -> Context:
    return Context(
        actor="tester",
        correlation_id="corr-1",
        now=datetime(2026, 1, 1, tzinfo=UTC),
        source=Source(document="test", passage="a passage"),
    )


def register(org: str) -> Any:
    return cmd(c.RegisterOrganisation, organisation_id=org, name=org.upper(), kind="other")


async def together(group: GroupCommit, *runs: tuple[Any, SubmitOptions]) -> list[Any]:
    """Hand the commands in at once; their results, or the exceptions they raised."""
    return await asyncio.gather(
        *(group.run(command, context(), options) for command, options in runs),
        return_exceptions=True,
    )


@pytest.fixture
def db() -> Database:
    return Database()


@pytest.fixture
def group(db: Database) -> GroupCommit:
    return GroupCommit(db.unit_of_work, db.positions)


async def test_commands_that_arrive_together_are_one_commit(
    db: Database, group: GroupCommit
) -> None:
    results = await together(group, *((register(o), NO_OPTIONS) for o in "abcde"))
    assert db.commits == 1
    assert [r.events[0].stream_id for r in results] == [f"organisation-{o}" for o in "abcde"]
    assert [r.events[0].position for r in results] == [1, 2, 3, 4, 5]


async def test_a_command_sees_what_earlier_ones_in_its_batch_appended(
    db: Database, group: GroupCommit
) -> None:
    assign = cmd(c.AssignResponsibility, responsibility_id="r", description="Do it", holder_id="x")
    rename = cmd(c.RenameOrganisation, organisation_id="x", new_name="Ex")
    registered, assigned, renamed = await together(
        group, (register("x"), NO_OPTIONS), (assign, NO_OPTIONS), (rename, NO_OPTIONS)
    )
    assert db.commits == 1
    assert [e.stream_version for e in db.stream("organisation-x")] == [1, 2]
    assert isinstance(assigned, CommandResult) and isinstance(renamed, CommandResult)
    assert renamed.events[0].stream_version == 2


async def test_a_refused_command_leaves_the_rest_of_its_batch(
    db: Database, group: GroupCommit
) -> None:
    await group.run(register("a"), context())
    again, unknown, fresh = await together(
        group,
        (register("a"), NO_OPTIONS),
        (cmd(c.RenameOrganisation, organisation_id="nobody", new_name="N"), NO_OPTIONS),
        (register("b"), NO_OPTIONS),
    )
    assert isinstance(again, AlreadyExists) and isinstance(unknown, UnknownEntity)
    assert isinstance(fresh, CommandResult) and fresh.events[0].stream_id == "organisation-b"
    assert len(db.shared.events.committed) == 2


async def test_one_key_twice_in_a_batch_is_one_request(db: Database, group: GroupCommit) -> None:
    first, second = await together(group, (register("a"), KEYED), (register("a"), KEYED))
    assert not first.replayed and second.replayed and second.events == first.events
    assert len(db.stream("organisation-a")) == 1


async def test_a_stored_key_replays_inside_a_batch(db: Database, group: GroupCommit) -> None:
    first = await group.run(register("a"), context(), KEYED)
    again, other = await together(group, (register("a"), KEYED), (register("b"), NO_OPTIONS))
    assert again.replayed and again.events == first.events
    assert isinstance(other, CommandResult)


class LosingRace(Database):
    """The first unit of work's commit finds that another writer committed meanwhile."""

    def new_unit(self) -> FakeUnitOfWork:
        unit = FakeUnitOfWork()
        if not self.units:

            async def beaten() -> None:
                raise ConcurrencyConflict("stream version already taken")

            unit.commit = beaten  # type: ignore[method-assign]
        return unit


async def test_a_batch_a_concurrent_writer_beat_is_decided_again_alone() -> None:
    db = LosingRace()
    group = GroupCommit(db.unit_of_work, db.positions)
    results = await together(group, *((register(o), NO_OPTIONS) for o in "abc"))
    assert all(isinstance(r, CommandResult) for r in results)
    assert db.commits == 3  # each alone, after the batch failed
    assert sorted(e.stream_id for e in db.shared.events.committed) == [
        "organisation-a",
        "organisation-b",
        "organisation-c",
    ]


async def test_a_caller_that_goes_away_does_not_take_its_command_with_it(
    db: Database, group: GroupCommit
) -> None:
    leaving = asyncio.ensure_future(group.run(register("a"), context()))
    staying = asyncio.ensure_future(group.run(register("b"), context()))
    await asyncio.sleep(0)  # both handed in; the batch is being written
    leaving.cancel()
    await staying
    await group.drain()
    assert len(db.stream("organisation-a")) == 1


async def test_a_command_that_locks_exclusively_runs_alone(
    db: Database, group: GroupCommit
) -> None:
    await together(group, (register("a"), NO_OPTIONS), (register("b"), NO_OPTIONS))
    dissolve = cmd(c.DissolveOrganisation, organisation_id="a", successor_ids=["b"], reason="x")
    await together(group, (dissolve, NO_OPTIONS), (register("c"), NO_OPTIONS))
    exclusive = [u for u in db.units if u.prepared and u.prepared[0].exclusive]
    assert len(exclusive) == 1 and len(exclusive[0].prepared[0].streams) == 2  # a and b only


async def test_one_key_for_two_requests_in_a_batch_refuses_the_second(
    db: Database, group: GroupCommit
) -> None:
    first, second = await together(group, (register("a"), KEYED), (register("b"), KEYED))
    assert isinstance(first, CommandResult) and isinstance(second, IdempotencyKeyReused)
    again = await group.run(register("a"), context(), KEYED)
    assert again.replayed and again.events == first.events
    assert db.stream("organisation-b") == []
