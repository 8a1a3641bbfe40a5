"""A target row as the report prints it: the value, the target, and whether it was met."""

from __future__ import annotations

from typing import Any


def at_least(value: float | None, target: float) -> dict[str, Any]:
    return {"value": value, "target": target, "met": None if value is None else value >= target}


def at_most(value: float | None, target: float) -> dict[str, Any]:
    return {"value": value, "target": target, "met": None if value is None else value <= target}


def below(value: float | None, target: float) -> dict[str, Any]:
    return {"value": value, "target": target, "met": None if value is None else value < target}
