"""Stored events as people read them: one entry of a timeline per event, with what it says
(:mod:`services.common.wording.events`, the words the alerts use too), who said it, and the
passage it quotes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.wording.events import describe
from services.projections.domain.views import Json

Names = dict[str, str]


def entries(items: Iterable[Json], names: Names) -> list[Json]:
    """:func:`entry` of each history entry; what settles an announcement is said with the
    announcement it names (found among ``items``)."""
    found = list(items)
    announced = {
        str(item["event"].get("event_id")): item["event"]
        for item in found
        if item["event"].get("stage") == "announced"
    }
    return [entry(item, names, announced) for item in found]


def entry(item: Json, names: Names, announced: dict[str, Json] | None = None) -> Json:
    """``{position, occurred_at, recorded_at, title, lines, source, correction, stage,
    uncertain}`` of a history entry (as JSON)."""
    event: dict[str, Any] = item["event"]
    title, lines = describe(item["type"], event, names, announced)
    return {
        "position": item["position"],
        "occurred_at": item["occurred_at"],
        "recorded_at": item["recorded_at"],
        "title": title,
        "lines": lines,
        "source": event.get("source") or {},
        "correction": bool(event.get("supersedes_event_id")),
        "stage": item.get("stage") or event.get("stage"),
        "uncertain": bool(item.get("uncertain")),
    }
