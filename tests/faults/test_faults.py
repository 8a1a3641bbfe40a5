"""Fault injection under load, the quick variant (CI and ``make faults``): five faults, each
during ~12 s of commands at a modest rate, each followed by every check in :mod:`drill`.

The per-fault table is printed and written to ``.run/faults/quick.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import REPO_ROOT
from tests.faults.drill import Drill, Outcome, faults, run_fault, table

pytestmark = pytest.mark.faults
LOAD_S = float(os.environ.get("REMIT_FAULT_LOAD_S", "12"))
REPORT = REPO_ROOT / ".run" / "faults" / "quick.md"


@pytest.fixture(scope="module")
def outcomes() -> Iterator[list[Outcome]]:
    done: list[Outcome] = []
    yield done
    if done:
        Path(REPORT).parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(table(done))
        print("\n" + table(done))


@pytest.mark.parametrize("name", list(faults()))
async def test_nothing_is_lost_or_doubled(drill: Drill, outcomes: list[Outcome], name: str) -> None:
    outcome = await run_fault(drill, name, faults()[name], LOAD_S)
    outcomes.append(outcome)
    assert outcome.lost == 0 and outcome.read_model_duplicates == 0
    assert outcome.accepted > 0
