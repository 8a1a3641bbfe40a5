"""Importing the Smith review through the live HTTP API with the ``remit import`` CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.auth import issue_token
from services.registry.config import RegistrySettings

pytestmark = pytest.mark.integration
DATASET = Path(__file__).resolve().parents[3] / "data" / "smith-review.yaml"


def run_import(registry_url: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["import", str(DATASET), "--registry-url", registry_url, "--json"], env=env
    )
    assert result.exit_code == (1 if env else 0), result.output
    [line] = [s for s in result.output.splitlines() if s.startswith("{")]
    summary: dict[str, Any] = json.loads(line)
    return summary


def all_events(registry_url: str) -> list[dict[str, object]]:
    events, after = [], 0
    with httpx.Client(base_url=registry_url) as client:
        while True:
            page = client.get("/v1/events", params={"after": after, "limit": 1000}).json()
            events += page["events"]
            if not page["events"]:
                return events
            after = page["next_after"]


def test_import_yields_the_review_as_events_and_is_idempotent(registry_url: str) -> None:
    first = run_import(registry_url)
    assert first["commands"] == 71 and first["appended"] == 82 and first["replayed"] == 0
    events = [e["event"] for e in all_events(registry_url)]
    assert len(events) == 82
    types = Counter(e["type"] for e in events)  # type: ignore[index]
    recorded = [e for e in events if e["type"] == "RecommendationRecorded"]  # type: ignore[index]
    assert len([r for r in recorded if r["parent_id"] is None]) == 16  # type: ignore[index]
    assert len([r for r in recorded if r["parent_id"]]) == 4  # type: ignore[index]
    responses = [
        types[t]
        for t in (
            "RecommendationAccepted",
            "RecommendationAdapted",
            "RecommendationDeferred",
            "RecommendationRejected",
        )
    ]
    assert responses == [8, 4, 3, 1]
    assert types["ResponsibilityTransferred"] == 2 and types["ActionCommitted"] == 1
    assert types["RecordsCorrected"] == 23  # 12 corrections, one event per stream they touch

    again = run_import(registry_url)
    assert again["appended"] == 0 and again["replayed"] == 71
    assert len(all_events(registry_url)) == 82
    # The keys are the importer's (subject remit-cli): another caller's import is new requests,
    # refused at the first (already registered), and never given the importer's answers.
    token = issue_token(RegistrySettings(), "someone-else", ["registry:write"])
    other = run_import(registry_url, env={"REMIT_TOKEN": token})
    assert (other["commands"], other["appended"], other["replayed"]) == (1, 0, 0)
    assert "409" in other["failures"][0] and "already registered" in other["failures"][0]
    assert len(all_events(registry_url)) == 82
