"""The long drill, on demand (``REMIT_SOAK=1`` or ``make faults SOAK=1``): ten minutes of load,
a fault every minute (the five in turn, twice), every check after each. Writes its table into
docs/reliability.md."""

from __future__ import annotations

import os
import time

import pytest

from infra.settings import REPO_ROOT
from tests.faults.conftest import soak
from tests.faults.drill import Drill, Outcome, faults, run_fault, table, write_report

pytestmark = [
    pytest.mark.faults,
    pytest.mark.soak,
    pytest.mark.skipif(not soak(), reason="the soak runs only with REMIT_SOAK=1"),
]
MINUTES = int(os.environ.get("REMIT_SOAK_MINUTES", "10"))
DOC = REPO_ROOT / "docs" / "reliability.md"


async def test_soak_a_fault_every_minute(drill: Drill) -> None:
    drill.load.rate_per_s = 25.0
    kinds = list(faults().items())
    outcomes: list[Outcome] = []
    began = time.monotonic()
    for minute in range(MINUTES):
        name, fault = kinds[minute % len(kinds)]
        outcomes.append(await run_fault(drill, name, fault, load_s=60))
    took = (time.monotonic() - began) / 60
    head = (
        f"Soak run of {time.strftime('%Y-%m-%d', time.gmtime())}: {MINUTES} faults, one per "
        f"minute of load at ~{drill.load.rate_per_s:.0f} commands/s ({took:.1f} min with checks)."
        "\n\n"
    )
    write_report(DOC, "soak", head + table(outcomes))
    assert all(o.lost == 0 and o.read_model_duplicates == 0 for o in outcomes)
