"""The reads a command declares (``handlers.reads``) are all its handler reads: the unit of work
fetches them in the command's first round trip, and a handler that loads or locks a stream it
did not declare would cost a round trip each (and take locks out of their sorted order).

Two kinds of read cannot be declared: the commands that amend history (take effect, withdraw,
correct) cannot know their streams before they find the events they name (they declare one
exclusive lock that makes them run alone, in a transaction, and load what they find); merging
and dissolving a body read what it holds, found by a query (they run in a transaction too).
Both are exempt here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from services.registry.domain import commands as c
from services.registry.service_layer.amendments import SERIAL_LOCK
from services.registry.service_layer.ports import Reads, ScopedKey
from tests.unit.dataset.test_smith_replay import import_once
from tests.unit.registry.conftest import Bus
from tests.unit.registry.fakes import FakeUnitOfWork
from tests.unit.registry.test_handlers import cmd, register


class Checked(FakeUnitOfWork):
    """Fails a command whose handler reads what its declared reads do not name."""

    def __init__(self) -> None:
        super().__init__()
        self.undeclared: list[tuple[str, str]] = []
        self._declared = Reads()

    async def prepare(self, declared: Reads, idempotency_keys: Sequence[ScopedKey] = ()) -> Any:
        self._declared = declared
        return await super().prepare(declared, idempotency_keys)

    async def commit(self) -> None:
        if SERIAL_LOCK not in self._declared.exclusive:
            streams = {*self._declared.streams, *self.events.found}
            locks = {*self._declared.shared, *self._declared.exclusive}
            self.undeclared += [("load", s) for s in self.events.loaded if s not in streams]
            self.undeclared += [("lock", s) for s in self.events.locked if s not in locks]
        await super().commit()


async def test_every_smith_command_reads_only_what_it_declares() -> None:
    uow = Checked()
    await import_once(uow)
    assert any(SERIAL_LOCK in r.exclusive for r in uow.prepared)  # corrections ran, exempt
    assert uow.undeclared == []


@pytest.mark.parametrize(
    "command",
    [
        cmd(c.RenameOrganisation, organisation_id="a", new_name="A2", stage="announced"),
        cmd(c.MergeOrganisation, organisation_id="a", parent_id="b", keeps_identity=True),
        cmd(c.DissolveOrganisation, organisation_id="a", successor_ids=["b"], move_holdings_to="b"),
        cmd(c.AssignAccountability, organisation_id="a", accountable_to_id="b"),
        cmd(c.TransferAction, action_id="act", from_id="a", to_id="b"),
        cmd(
            c.TransferResponsibility,
            responsibility_id="r",
            description="R",
            to_id="b",
            instead_of_id="a",
        ),
    ],
    ids=lambda command: type(command).__name__,
)
async def test_each_change_reads_only_what_it_declares(command: Any) -> None:
    bus = Bus()
    bus.uow = Checked()
    await register(bus, "a", "b")
    await bus.run(cmd(c.CommitAction, action_id="act", owner_id="a", description="D"))
    await bus.run(command)
    assert bus.uow.undeclared == []
