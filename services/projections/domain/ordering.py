"""Where a received event stands against the checkpoint (one partition, relayed in order).

* ``duplicate``: position <= checkpoint: a redelivery; it changes nothing.
* ``next``: position == checkpoint + 1: apply.
* ``gap``: position > checkpoint + 1. With one partition and an in-order relay this means
  something upstream is badly wrong (events lost, a topic truncated, a relay bug). We apply it
  anyway (refusing would stop the read model for good) but record an anomaly that keeps the model
  ``degraded`` until an operator acknowledges it; positions in the hole are never filled in later
  (they would be duplicates by then), which is why the anomaly matters.
"""

from __future__ import annotations

from typing import Literal

Standing = Literal["duplicate", "next", "gap"]


def standing(checkpoint_position: int, event_position: int) -> Standing:
    if event_position <= checkpoint_position:
        return "duplicate"
    if event_position == checkpoint_position + 1:
        return "next"
    return "gap"
