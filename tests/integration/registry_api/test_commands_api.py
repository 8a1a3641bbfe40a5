"""The registry's HTTP API against real PostgreSQL: every command type, every refusal."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from services.registry.config import RegistrySettings
from tests.support.registry import in_process
from tests.support.tokens import bearer

pytestmark = pytest.mark.integration
SOURCE = {"document": "Test document", "passage": "A passage.", "locator": "p. 1"}


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def post(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post(url, json={"source": SOURCE, **body}, headers=headers)


async def org(client: httpx.AsyncClient, name: str = "Body") -> str:
    organisation_id = uid("org")
    r = await post(
        client,
        "/v1/organisations",
        {"organisation_id": organisation_id, "name": name, "kind": "arms_length_body"},
    )
    assert r.status_code == 201, r.text
    return organisation_id


async def responsibility(client: httpx.AsyncClient, holder_id: str) -> str:
    responsibility_id = uid("resp")
    r = await post(
        client,
        "/v1/responsibilities",
        {"responsibility_id": responsibility_id, "description": "D", "holder_id": holder_id},
    )
    assert r.status_code == 201, r.text
    return responsibility_id


def assert_problem(r: httpx.Response, status: int, title: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["type"]
    if title:
        assert body["title"] == title
    return body


async def stream(client: httpx.AsyncClient, stream_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/v1/streams/{stream_id}")
    return r.json() if r.status_code == 200 else []


async def test_every_command_type_appends_its_event(client: httpx.AsyncClient) -> None:
    a, b, c = await org(client, "A"), await org(client, "B"), await org(client, "C")
    review = uid("review")
    rec, sub = f"{review}:rec-1", f"{review}:rec-1a"
    resp, action = uid("resp"), uid("action")
    steps: list[tuple[str, dict[str, Any], str]] = [
        (f"/v1/organisations/{a}/rename", {"new_name": "A2"}, "OrganisationRenamed"),
        (
            f"/v1/organisations/{a}/accountability",
            {"accountable_to_id": b},
            "AccountabilityAssigned",
        ),
        (
            "/v1/reviews",
            {"review_id": review, "title": "T", "recommendation_count": 1},
            "ReviewPublished",
        ),
        (
            f"/v1/reviews/{review}/recommendations",
            {"recommendation_id": rec, "number": "1", "text": "Do it."},
            "RecommendationRecorded",
        ),
        (
            f"/v1/reviews/{review}/recommendations",
            {"recommendation_id": sub, "number": "1a", "text": "Part.", "parent_id": rec},
            "RecommendationRecorded",
        ),
        (
            f"/v1/recommendations/{rec}/response",
            {
                "response": "partially_implement",
                "response_text": "Partly.",
                "changes": ["Nationally only"],
                "lead_ids": [a],
                "supporting_ids": [b],
            },
            "RecommendationAdapted",
        ),
        (
            f"/v1/recommendations/{rec}/progress",
            {
                "status": "in_progress",
                "target_date": "2027-01-01",
                "claim": {"claimed_by": a, "verified_by": b},
            },
            "ImplementationProgressRecorded",
        ),
        (
            "/v1/responsibilities",
            {
                "responsibility_id": resp,
                "description": "Talent",
                "holder_id": a,
                "recommendation_id": rec,
            },
            "ResponsibilityAssigned",
        ),
        (
            f"/v1/responsibilities/{resp}/transfer",
            {"from_id": a, "to_id": b, "instead_of_id": c, "reason": "Why"},
            "ResponsibilityTransferred",
        ),
        (
            "/v1/actions",
            {"action_id": action, "owner_id": b, "description": "Plan", "review_id": review},
            "ActionCommitted",
        ),
        (
            f"/v1/actions/{action}/progress",
            {"status": "not_started", "claim": {"claimed_by": b}},
            "ImplementationProgressRecorded",
        ),
        (
            f"/v1/organisations/{a}/merge",
            {"parent_id": b, "keeps_identity": True},
            "OrganisationMerged",
        ),
        (
            f"/v1/organisations/{c}/dissolve",
            {"successor_ids": [b], "disposition": "Resources redeployed"},
            "OrganisationDissolved",
        ),
    ]
    positions = []
    for url, body, event_type in steps:
        r = await post(client, url, body)
        assert r.status_code == 201, (url, r.text)
        [event] = r.json()["events"]
        assert event["event_type"] == event_type
        assert event["position"] is not None and r.headers["Remit-Position"] == str(
            event["position"]
        )
        positions.append(event["position"])
    assert positions == sorted(positions)
    [registered, renamed, *_] = await stream(client, f"organisation-{a}")
    assert renamed["event"]["previous_name"] == "A"


@pytest.mark.parametrize(
    ("url", "body", "needle"),
    [
        (
            "/v1/responsibilities",
            {"responsibility_id": "r-x", "description": "D", "holder_id": "ghost"},
            "'ghost'",
        ),
        (
            "/v1/reviews/nope/recommendations",
            {"recommendation_id": "nope:1", "number": "1", "text": "t"},
            "unknown review",
        ),
        (
            "/v1/recommendations/nope:9/response",
            {"response": "implement_in_full", "response_text": "t"},
            "unknown recommendation",
        ),
        (
            "/v1/organisations",
            {"organisation_id": "Bad Id!", "name": "x", "kind": "other"},
            "organisation_id",
        ),
        (
            "/v1/organisations",
            {"organisation_id": "ok-id", "name": "x", "kind": "not-a-kind"},
            "kind",
        ),
    ],
)
async def test_refusals_are_problems_and_store_nothing(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], needle: str
) -> None:
    before = (await client.get("/v1/events", params={"limit": 1})).json()["head"]
    problem = assert_problem(await post(client, url, body), 422)
    assert needle in problem["detail"]
    assert (await client.get("/v1/events", params={"limit": 1})).json()["head"] == before


async def test_rule_violation_names_the_rule(client: httpx.AsyncClient) -> None:
    a, b = await org(client), await org(client)
    resp = await responsibility(client, a)
    r = await post(client, f"/v1/responsibilities/{resp}/transfer", {"from_id": b, "to_id": b})
    assert "is held by" in assert_problem(r, 422, "Domain rule violated")["detail"]


async def test_duplicate_registration_conflicts(client: httpx.AsyncClient) -> None:
    a = await org(client)
    r = await post(
        client, "/v1/organisations", {"organisation_id": a, "name": "Again", "kind": "other"}
    )
    assert_problem(r, 409)


async def test_if_match_mismatch_is_412_and_match_succeeds(client: httpx.AsyncClient) -> None:
    a = await org(client)
    assert_problem(
        await post(
            client, f"/v1/organisations/{a}/rename", {"new_name": "X"}, **{"If-Match": '"7"'}
        ),
        412,
    )
    r = await post(
        client, f"/v1/organisations/{a}/rename", {"new_name": "X"}, **{"If-Match": '"1"'}
    )
    assert r.status_code == 201 and r.headers["ETag"] == '"2"'


async def test_concurrent_writers_to_one_stream_one_wins_the_rest_conflict(
    client: httpx.AsyncClient,
) -> None:
    a = await org(client)
    results = await asyncio.gather(
        *(
            post(
                client,
                f"/v1/organisations/{a}/rename",
                {"new_name": f"Name {i}"},
                **{"If-Match": '"1"'},
            )
            for i in range(6)
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1 and set(codes) - {201} <= {409, 412}
    assert len(await stream(client, f"organisation-{a}")) == 2


async def test_idempotent_retry_returns_first_result_and_appends_nothing(
    client: httpx.AsyncClient,
) -> None:
    organisation_id = uid("org")
    body = {"organisation_id": organisation_id, "name": "Once", "kind": "team"}
    key = {"Idempotency-Key": uid("key")}
    first = await post(client, "/v1/organisations", body, **key)
    again = await post(client, "/v1/organisations", body, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["events"] == first.json()["events"]
    assert len(await stream(client, f"organisation-{organisation_id}")) == 1
    other = await post(client, "/v1/organisations", {**body, "name": "Different"}, **key)
    assert_problem(other, 422)


async def test_concurrent_retries_with_one_key_append_once(client: httpx.AsyncClient) -> None:
    organisation_id = uid("org")
    body = {"organisation_id": organisation_id, "name": "Race", "kind": "team"}
    key = {"Idempotency-Key": uid("key")}
    results = await asyncio.gather(
        *(post(client, "/v1/organisations", body, **key) for _ in range(5))
    )
    assert {r.status_code for r in results} <= {200, 201}
    assert len({tuple(e["event_id"] for e in r.json()["events"]) for r in results}) == 1
    assert len(await stream(client, f"organisation-{organisation_id}")) == 1


async def test_writes_need_a_token_with_the_write_scope(
    client: httpx.AsyncClient, registry_settings: RegistrySettings
) -> None:
    body = {"source": SOURCE, "organisation_id": uid("org"), "name": "N", "kind": "team"}
    assert_problem(
        await client.post("/v1/organisations", json=body, headers={"Authorization": ""}), 401
    )
    reader = bearer(registry_settings, "reader", "registry:read")
    assert_problem(await client.post("/v1/organisations", json=body, headers=reader), 403)
    # expired by more than the leeway (REMIT_JWT_LEEWAY_S, 30 s) allowed for clock skew
    expired = bearer(registry_settings, "old", "registry:write", ttl_seconds=-120)
    r = await client.post("/v1/organisations", json=body, headers=expired)
    assert "expired" in assert_problem(r, 401)["detail"]
    forged = bearer(RegistrySettings(jwt_secret="x" * 40), "forger", "registry:write")
    assert_problem(await client.post("/v1/organisations", json=body, headers=forged), 401)


async def test_malformed_and_oversized_bodies(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/organisations", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 422, "Malformed request")
    r = await client.post(
        "/v1/organisations", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 422)
    big = {
        "source": {**SOURCE, "passage": "x" * 300_000},
        "organisation_id": "big",
        "name": "B",
        "kind": "team",
    }
    assert_problem(await client.post("/v1/organisations", json=big), 413)


async def test_feed_is_gap_free_and_in_order(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await org(client)
    page = (await client.get("/v1/events", params={"after": 0, "limit": 1000})).json()
    positions = [e["position"] for e in page["events"]]
    assert positions == list(range(1, len(positions) + 1))
    assert page["head"] >= positions[-1]
    assert_problem(await client.get("/v1/streams/organisation-none"), 404)
    assert_problem(await client.get("/v1/events", params={"limit": 0}), 422)


async def test_ops_endpoints_and_correlation_id(client: httpx.AsyncClient) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    r = await post(
        client,
        "/v1/organisations",
        {"organisation_id": uid("org"), "name": "N", "kind": "team"},
        **{"X-Correlation-Id": "corr-abc"},
    )
    assert r.headers["x-correlation-id"] == "corr-abc"
    [event] = r.json()["events"]
    stored = await stream(client, event["stream_id"])
    assert stored[0]["event"]["correlation_id"] == "corr-abc"
    families = {
        f.name: f for f in text_string_to_metric_families((await client.get("/metrics")).text)
    }
    assert "remit_registry_events_appended" in families
    assert "remit_http_request_duration_seconds" in families


async def test_transfer_and_dissolution_racing_never_leave_a_dissolved_holder(
    client: httpx.AsyncClient,
) -> None:
    """Write skew: each command checks a different stream. Locks make them take turns, so
    either the transfer lands and the dissolution is refused, or the other way round."""
    for _ in range(8):
        a, b = await org(client), await org(client)
        resp = await responsibility(client, a)
        transfer, dissolve = await asyncio.gather(
            post(client, f"/v1/responsibilities/{resp}/transfer", {"from_id": a, "to_id": b}),
            post(client, f"/v1/organisations/{b}/dissolve", {}),
        )
        assert sorted([transfer.status_code, dissolve.status_code]) == [201, 422], (
            transfer.text,
            dissolve.text,
        )


async def test_a_stream_answers_its_version_as_etag_for_the_next_if_match(
    client: httpx.AsyncClient,
) -> None:
    a = await org(client)
    read = await client.get(f"/v1/streams/organisation-{a}")
    assert read.headers["ETag"] == '"1"'
    same = await client.get(
        f"/v1/streams/organisation-{a}", headers={"If-None-Match": read.headers["ETag"]}
    )
    assert same.status_code == 304 and same.content == b""
    renamed = await post(
        client,
        f"/v1/organisations/{a}/rename",
        {"new_name": "A2"},
        **{"If-Match": read.headers["ETag"]},
    )
    assert renamed.status_code == 201, renamed.text
    assert renamed.headers["ETag"] == '"2"'
    stale = await post(
        client,
        f"/v1/organisations/{a}/rename",
        {"new_name": "A3"},
        **{"If-Match": read.headers["ETag"]},
    )
    assert_problem(stale, 412)
    changed = await client.get(
        f"/v1/streams/organisation-{a}", headers={"If-None-Match": read.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'


async def test_the_feed_needs_events_read_when_events_are_not_public(
    registry_settings: RegistrySettings, client: httpx.AsyncClient
) -> None:
    a = await org(client)
    closed = registry_settings.model_copy(update={"events_access": "token"})
    async with in_process(closed) as http:
        for path in ("/v1/events", f"/v1/streams/organisation-{a}"):
            assert_problem(await http.get(path), 401)
            writer = bearer(registry_settings, "w", "registry:write")
            assert_problem(await http.get(path, headers=writer), 403)
            reader = bearer(registry_settings, "r", "events:read")
            read = await http.get(path, headers=reader)
            assert read.status_code == 200, read.text
    assert (await client.get("/v1/events")).status_code == 200  # public by default
