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
TOTAL = 82


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
    """Both duties are announced to go to NHS Improvement: none is held in effect."""
    body = await _get(client, "/v1/organisations/nhs-improvement")
    assert body["position"] == TOTAL and body["degraded"] is False
    assert body["responsibilities"] == []
    announced = {r["id"]: r for r in body["announced_responsibilities"]}
    assert set(announced) == {"improvement-capability-commissioning", "talent-management"}
    assert {r["direction"] for r in announced.values()} == {"in"}
    assert {r["stage"] for r in announced.values()} == {"announced"}
    assert [a["id"] for a in body["actions"]] == ["smith-review:succession-plan-top-200"]
    named = body["recommendations"]
    assert _ids(named["recipient"]) == {"smith-review:rec-9", "smith-review:rec-13"}
    supports = {r["number"]: r for r in named["supporting"]}
    assert supports["8"]["response"] == "future_discussion"
    assert supports["8"]["leads"] == [{"id": "nhs-england", "name": "NHS England"}]
    assert "lead" not in named
    positions = [h["position"] for h in body["history"]]
    assert {13, 52, 54, 59, 62, 63, 64, 65} <= set(positions)


async def test_nhs_leadership_academy(client: httpx.AsyncClient) -> None:
    """Becoming part of HEE and accountable to the new board are announced, not done; the
    Academy never held talent management."""
    body = await _get(client, "/v1/organisations/nhs-leadership-academy")
    assert body["status"] == "active" and body["parent"] is None
    assert body["accountable_to"] is None
    merge = {a["change"]: a for a in body["announced"]}
    assert merge["merge"]["parent"]["id"] == "health-education-england"
    assert merge["merge"]["keeps_identity"] is True
    assert merge["accountability"]["accountable_to"]["id"] == "national-governing-boards"
    assert body["transferred_out"] == [] and body["responsibilities"] == []
    (proposal,) = body["proposals_not_followed"]
    assert proposal["recommendation_id"] == "smith-review:rec-9"
    assert proposal["stage"] == "announced" and proposal["from"] is None
    subjects = _ids(body["recommendations"]["subject"])
    assert {
        "smith-review:rec-12",
        "smith-review:rec-13",
        "smith-review:rec-15",
        "smith-review:rec-16",
    } <= subjects
    assert {c["stream"] for c in body["corrections"]} >= {
        "organisation-nhs-leadership-academy",
        "responsibility-talent-management",
        "recommendation-smith-review:rec-15",
    }
    parent = await _get(client, "/v1/organisations/health-education-england")
    assert parent["parts"] == []


async def test_announced_dissolution_and_rename(client: httpx.AsyncClient) -> None:
    niq = await _get(client, "/v1/organisations/nhs-improving-quality")
    assert niq["status"] == "active"
    (dissolution,) = niq["announced"]
    assert dissolution["scope"] == "as a national organisation"
    assert "national level" in dissolution["disposition"]
    scn = await _get(client, "/v1/organisations/strategic-clinical-networks")
    assert scn["name"] == "Strategic clinical networks" and scn["former_names"] == []
    (rename,) = scn["announced"]
    assert rename["new_name"] == "Clinical networks"
    assert rename["recommendation_id"] == "smith-review:rec-11b"
    dissolved = await _get(client, "/v1/organisations", status="dissolved")
    assert dissolved["items"] == []
    rec11b = await _get(client, "/v1/recommendations/smith-review:rec-11b")
    assert "OrganisationRenamed" in {t["type"] for t in rec11b["timeline"]}
    assert rec11b["response_kind"] == "implement_in_full"
    assert rec11b["response_inherited_from"] == "smith-review:rec-11"


async def test_ahsns(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/organisations/academic-health-science-networks")
    named = body["recommendations"]
    assert "lead" not in named and body["leads"] == []
    (rec7,) = named["not_leading"]
    assert rec7["response"] == "not_implement"
    assert _ids(named["subject"]) == {
        "smith-review:rec-11",
        "smith-review:rec-11c",
        "smith-review:rec-11d",
    }
    rec11 = [r for r in named["subject"] if r["id"] == "smith-review:rec-11"][0]
    assert [s["number"] for s in rec11["sub_points"]] == ["11a", "11b", "11c", "11d"]
    assert {s["response"] for s in rec11["sub_points"]} == {"implement_in_full"}
    rec7 = await _get(client, "/v1/recommendations/smith-review:rec-7")
    assert rec7["response"]["alternative"].startswith("They will continue")
    assert rec7["response"]["leads"] == []
    assert {(r["organisation"]["id"], r["role"]) for r in rec7["roles"]} == {
        ("academic-health-science-networks", "not_leading"),
        ("strategic-clinical-networks", "named"),
        ("clinical-senates", "named"),
    }
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
    assert body["review"]["authors"] == ["Ed Smith"]
    board = await _get(
        client, "/v1/recommendations", review="smith-review", response="not_implement"
    )
    assert [r["number"] for r in board["items"]] == ["7"]


async def test_composition_and_accountability(client: httpx.AsyncClient) -> None:
    rec3 = await _get(client, "/v1/recommendations/smith-review:rec-3")
    assert rec3["cross_references"]["from"] == ["smith-review:rec-14"]
    members = {r["organisation"]["id"] for r in rec3["roles"] if r["role"] == "member_of"}
    assert members == {"six-national-organisations", "department-of-health"}
    assert rec3["response"]["supporters"] == [] and rec3["response"]["leads"] == []
    rec14 = await _get(client, "/v1/recommendations/smith-review:rec-14")
    assert rec14["cross_references"]["to"] == ["smith-review:rec-3"]
    (accountable,) = [r for r in rec14["roles"] if r["role"] == "accountable_to"]
    assert accountable["related"]["id"] == "national-governing-boards"
    boards = await _get(client, "/v1/organisations/national-governing-boards")
    assert boards["status"] == "not_established"
    assert _ids(boards["recommendations"]["composed_of"]) == {"smith-review:rec-3"}


async def test_as_of_positions_never_show_a_retracted_holding(client: httpx.AsyncClient) -> None:
    before = await client.get("/v1/responsibilities/talent-management", params={"at_position": 53})
    assert before.status_code == 404  # its first record (the Academy's) is retracted
    after = await _get(client, "/v1/responsibilities/talent-management", at_position=54)
    assert after["holder"] is None
    assert [h["stage"] for h in after["handovers"]] == ["announced"]
    assert after["handovers"][0]["to"]["id"] == "nhs-improvement"
    academy = await _get(client, "/v1/organisations/nhs-leadership-academy", at_position=54)
    assert academy["responsibilities"] == [] and academy["status"] == "active"
    early = await client.get("/v1/organisations/nhs-improvement", params={"at_position": 5})
    assert early.status_code == 404


async def test_as_of_a_date_before_the_import_answers_with_uncertainty(
    client: httpx.AsyncClient,
) -> None:
    summary = await _get(client, "/v1/reviews/smith-review/summary", as_of="2015-06-01")
    assert summary["by_response"]["implement_in_full"] == 8
    nhse = await _get(client, "/v1/organisations/nhs-england", as_of="2015-06-01")
    assert nhse["uncertain"] is True
    assert nhse["valid"] == {
        "at": None,
        "not_before": None,
        "not_after": nhse["valid"]["not_after"],
        "uncertain": True,
    }
    assert nhse["valid"]["not_after"] is not None
    today = await _get(client, "/v1/organisations/nhs-england", as_of="2999-01-01")
    assert "uncertain" not in today and today["valid"]["uncertain"] is False


async def test_lineage(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/responsibilities/improvement-capability-commissioning")
    assert body["holder"] is None
    (step,) = body["handovers"]
    assert step["stage"] == "announced" and step["from"] is None
    assert step["to"]["name_then"] == "NHS Improvement"
    assert step["instead_of"]["name_then"] == "NHS Leadership Academy"
    assert step["recommendation_id"] == "smith-review:rec-9" and step["position"] == 52
    assert step["valid"]["at"] is None and step["valid"]["not_after"] is not None
    (correction,) = body["corrections"]
    assert correction["position"] == 64


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
    assert "ResponsibilityTransferred" in history.text and "RecordsCorrected" in history.text


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
