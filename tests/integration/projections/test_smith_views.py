"""The Smith review through Kafka into the read model, and the views the brief asks for."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.projections.bootstrap import checksum, rebuild
from tests.integration.projections import support
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
TOTAL = 59


@pytest.fixture(scope="module")
async def client(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    events = list(smith_events())
    assert len(events) == TOTAL
    topic, dlq = await support.fresh_topics(kafka_bootstrap, "proj-smith")
    await support.produce(kafka_bootstrap, topic, events[:50])
    settings = support.settings_for(database_url, kafka_bootstrap, topic, dlq)
    async with support.running_app(settings) as http:
        http.settings = settings  # type: ignore[attr-defined]
        await support.wait_position(http, 50)

        params = {"min_position": TOTAL}  # asked before the last events are produced
        asked = asyncio.create_task(http.get("/v1/organisations/nhs-improvement", params=params))
        await support.produce(kafka_bootstrap, topic, events[50:])
        waited = await asked
        assert waited.status_code == 200, waited.text
        assert int(waited.headers["Remit-Position"]) >= TOTAL
        yield http


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["position"] == int(response.headers["Remit-Position"])
    return body


def _ids(items: list[dict[str, Any]], key: str = "id") -> set[str]:
    return {item[key] for item in items}


async def test_nhs_improvement(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/organisations/nhs-improvement")
    assert body["position"] == TOTAL and body["degraded"] is False
    assert _ids(body["responsibilities"]) == {
        "improvement-capability-commissioning",
        "talent-management",
    }
    assert _ids(body["transferred_in"], "responsibility_id") == _ids(body["responsibilities"])
    assert [a["id"] for a in body["actions"]] == ["smith-review:succession-plan-top-200"]
    supports = {r["number"]: r for r in body["supports"]}
    assert supports["8"]["response"] == "future_discussion"
    assert supports["8"]["leads"] == [{"id": "nhs-england", "name": "NHS England"}]
    assert "9" in {r["number"] for r in body["leads"]}
    assert [h["position"] for h in body["history"]] == [13, 45, 47, 48, 52, 54, 59]


async def test_nhs_leadership_academy(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/organisations/nhs-leadership-academy")
    assert body["status"] == "part_of_another"
    assert body["parent"] == {"id": "health-education-england", "name": "Health Education England"}
    assert body["accountable_to"]["id"] == "national-governing-boards"
    assert [t["responsibility_id"] for t in body["transferred_out"]] == ["talent-management"]
    assert body["transferred_out"][0]["to"]["id"] == "nhs-improvement"
    (proposal,) = body["proposals_not_followed"]
    assert proposal["recommendation_id"] == "smith-review:rec-9"
    assert proposal["to"]["id"] == "nhs-improvement" and proposal["from"] is None
    assert body["responsibilities"] == []
    parent = await _get(client, "/v1/organisations/health-education-england")
    (part,) = parent["parts"]
    assert part["id"] == "nhs-leadership-academy"
    assert {r["number"] for r in part["leads"]} >= {"12", "13", "14"}


async def test_dissolved_and_renamed(client: httpx.AsyncClient) -> None:
    niq = await _get(client, "/v1/organisations/nhs-improving-quality")
    assert niq["status"] == "dissolved"
    assert niq["status_detail"]["successors"] == []
    assert "national level" in niq["status_detail"]["disposition"]
    scn = await _get(client, "/v1/organisations/strategic-clinical-networks")
    assert scn["name"] == "Clinical networks"
    assert [f["name"] for f in scn["former_names"]] == ["Strategic clinical networks"]
    dissolved = await _get(client, "/v1/organisations", status="dissolved")
    assert _ids(dissolved["items"]) == {"nhs-improving-quality"}


async def test_ahsns(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/organisations/academic-health-science-networks")
    leads = {r["number"]: r for r in body["leads"]}
    assert leads["7"]["response"] == "not_implement"
    assert [s["number"] for s in leads["11"]["sub_points"]] == ["11a", "11b", "11c", "11d"]
    rec7 = await _get(client, "/v1/recommendations/smith-review:rec-7")
    assert rec7["response"]["alternative"].startswith("They will continue")
    assert rec7["delivery"]["status"] == "unknown"


async def test_summary_counts(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/reviews/smith-review/summary")
    assert body["by_response"] == {
        "implement_in_full": 8,
        "partially_implement": 4,
        "future_discussion": 3,
        "not_implement": 1,
    }
    assert body["matrix"]["implement_in_full"] == {"unknown": 8}
    board = await _get(
        client, "/v1/recommendations", review="smith-review", response="not_implement"
    )
    assert [r["number"] for r in board["items"]] == ["7"]


async def test_recommendation_cross_references(client: httpx.AsyncClient) -> None:
    rec3 = await _get(client, "/v1/recommendations/smith-review:rec-3")
    assert rec3["cross_references"]["from"] == ["smith-review:rec-14"]
    rec14 = await _get(client, "/v1/recommendations/smith-review:rec-14")
    assert rec14["cross_references"]["to"] == ["smith-review:rec-3"]
    assert [s["name"] for s in rec14["response"]["supporters"]] == [
        "National governing boards for improvement and leadership development"
    ]


async def test_as_of_positions_around_a_transfer(client: httpx.AsyncClient) -> None:
    before = await _get(client, "/v1/responsibilities/talent-management", at_position=53)
    assert before["holder"]["id"] == "nhs-leadership-academy" and before["position"] == 53
    after = await _get(client, "/v1/responsibilities/talent-management", at_position=54)
    assert after["holder"]["id"] == "nhs-improvement"
    academy = await _get(client, "/v1/organisations/nhs-leadership-academy", at_position=53)
    assert _ids(academy["responsibilities"]) == {"talent-management"}
    assert academy["status"] == "active"
    early = await client.get("/v1/organisations/nhs-improvement", params={"at_position": 5})
    assert early.status_code == 404
    before_time = await client.get(
        "/v1/reviews/smith-review/summary", params={"as_of": "2026-11-24"}
    )
    assert before_time.status_code == 404
    on_day = await _get(client, "/v1/reviews/smith-review/summary", as_of="2026-11-25")
    assert on_day["by_response"]["implement_in_full"] == 8


async def test_lineage(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/responsibilities/improvement-capability-commissioning")
    (step,) = body["handovers"]
    assert step["from"] is None
    assert step["to"]["name_then"] == "NHS Improvement"
    assert step["instead_of"]["name_then"] == "NHS Leadership Academy"
    assert step["recommendation_id"] == "smith-review:rec-9" and step["position"] == 52


async def test_errors_and_csv(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/organisations/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    both = await client.get("/v1/organisations", params={"as_of": "2026-01-01", "at_position": 3})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    bad = await client.get("/v1/recommendations", params={"response": "maybe"})
    assert bad.status_code == 422
    late = await client.get("/v1/organisations", params={"min_position": 10_000})
    assert late.status_code == 503 and late.headers["Retry-After"] == "1"
    exported = await client.get(
        "/v1/recommendations", params={"review": "smith-review"}, headers={"Accept": "text/csv"}
    )
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 16 and rows[0]["number"] == "1"
    history = await client.get("/v1/organisations/nhs-improvement", headers={"Accept": "text/csv"})
    assert "ResponsibilityTransferred" in history.text


async def test_rebuild_matches_live_and_switches(client: httpx.AsyncClient) -> None:
    settings = client.settings  # type: ignore[attr-defined]
    live = await checksum(settings)
    schema = await rebuild(settings)
    assert schema.endswith("_v2")
    assert await checksum(settings) == live
    body = await _get(client, "/v1/reviews/smith-review/summary")
    assert body["position"] == TOTAL
    metrics = await client.get("/metrics")
    assert "remit_consumer_position" in metrics.text
