"""Fixtures for the contract tests: the stored sample payloads, one per (type, version)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.envelope import DomainEvent

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "schemas" / "samples"


def _load(name: str, version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES_DIR / f"{name}.v{version}.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR


@pytest.fixture(scope="session")
def current_samples() -> dict[str, dict[str, Any]]:
    """The current-version sample payload of every event type, by type name."""
    return {name: _load(name, version) for name, version in sorted(CURRENT_VERSIONS.items())}


@pytest.fixture(scope="session")
def current_events(current_samples: dict[str, dict[str, Any]]) -> list[DomainEvent]:
    return [EVENT_TYPES[name].model_validate(data) for name, data in current_samples.items()]
