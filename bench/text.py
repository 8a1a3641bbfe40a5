"""Deterministic filler text of realistic length for command bodies and synthetic events."""

from __future__ import annotations

import random

WORDS = (
    "the review recommends that national bodies should ensure governance accountability "
    "patient safety commissioning boards regional teams publish annual report progress "
    "department health social care providers regulators data quality workforce training "
    "leadership transparency oversight funding arrangements delivery improvement clinical"
).split()


def sentence(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return (" ".join(out)[:chars].rstrip() or "text").capitalize() + "."
