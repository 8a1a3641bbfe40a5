"""The Smith dataset, posted in order through the registry's message bus (fakes, no I/O), is
accepted command by command; importing it again appends nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import cast

from services.registry.dataset import load_dataset
from services.registry.service_layer import command_runner
from services.registry.service_layer.command_runner import SubmitOptions, run_command
from services.registry.service_layer.ports import ScopedKey, UnitOfWork, caller_scope
from tests.support.smith import import_context
from tests.unit.dataset.test_smith_dataset import DATASET
from tests.unit.registry.fakes import FakePositions, FakeUnitOfWork


async def import_once(uow: FakeUnitOfWork) -> list[bool]:
    dataset = load_dataset(DATASET)
    positions = FakePositions(uow)
    # The fake satisfies the ports structurally; mypy rejects it because the protocols declare
    # `events` and `idempotency` as mutable attributes (invariant), hence the cast.
    factory = cast(Callable[[], UnitOfWork], lambda: uow)
    replayed: list[bool] = []
    for key, command in dataset.commands:
        ctx = import_context(dataset.dataset, key, command)
        result = await run_command(
            command,
            ctx,
            factory,
            positions,
            SubmitOptions(ScopedKey(caller_scope(ctx.actor), f"{dataset.dataset}:{key}")),
        )
        replayed.append(result.replayed)
    return replayed


async def test_the_registry_accepts_every_command_in_order() -> None:
    uow = FakeUnitOfWork()
    assert not any(await import_once(uow))
    assert Counter(e.type for e in uow.events.committed) == {
        "OrganisationRegistered": 14,
        "ReviewPublished": 1,
        "RecommendationRecorded": 20,
        "RecommendationAccepted": 8,
        "RecommendationAdapted": 4,
        "RecommendationDeferred": 3,
        "RecommendationRejected": 1,
        "ResponsibilityAssigned": 1,
        "ResponsibilityTransferred": 2,
        "OrganisationDissolved": 1,
        "OrganisationMerged": 1,
        "AccountabilityAssigned": 1,
        "OrganisationRenamed": 1,
        "ActionCommitted": 1,
        "RecordsCorrected": 23,
    }


async def test_importing_twice_appends_nothing() -> None:
    uow = FakeUnitOfWork()
    await import_once(uow)
    before = len(uow.events.committed)
    assert all(await import_once(uow))
    assert len(uow.events.committed) == before


def test_published_commands_keep_the_request_hash_the_registry_stored() -> None:
    """A database imported before the corrections existed still replays every published
    command (same Idempotency-Key, same request): fields added to a command since are left out
    of the hash while they hold their default. The hashes were computed by the code that
    published the dataset (main 45e7b62)."""
    published = json.loads((Path(__file__).parent / "published_hashes.json").read_text())
    dataset = load_dataset(DATASET)
    now = {key: command_runner.request_hash(command) for key, command in dataset.commands}
    assert {key: now[key] for key in published} == published
