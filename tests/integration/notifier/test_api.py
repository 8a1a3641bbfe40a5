"""Access control between organisations, SSRF refusals, and dead-lettering of bad records."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.wire import DLQ_HEADER_CONSUMER, DLQ_HEADER_REASON, DLQ_HEADER_SOURCE_OFFSET
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
A, B = "nhs-improvement", "nhs-england"


async def test_one_organisation_cannot_see_or_touch_another(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier(run_consumer=False, run_workers=False) as h:
        theirs = await h.subscribe(B, channel="webhook", url=receiver.url("/b"))
        mine = await h.subscribe(A, channel="email", email="a@a.test")
        base = f"/v1/subscriptions/{theirs['id']}"
        for method, path in (
            ("GET", base),
            ("DELETE", base),
            ("POST", f"{base}/rotate-secret"),
            ("POST", f"{base}/enable"),
            ("POST", f"{base}/disable"),
            ("POST", f"{base}/recover?since=2020-01-01T00:00:00Z"),
        ):
            response = await h.api.request(method, path, headers=h.token(A))
            assert response.status_code == 404, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        listed = await h.api.get("/v1/subscriptions", headers=h.token(A, "subscriptions:read"))
        assert [s["id"] for s in listed.json()] == [mine["id"]]
        assert "secret" not in listed.json()[0]
        assert (await h.api.get(base)).status_code == 401
        read_only = h.token(B, "subscriptions:read")
        assert (await h.api.get(base, headers=read_only)).status_code == 200
        assert (await h.api.post(f"{base}/disable", headers=read_only)).status_code == 403
        wrong = h.token(B, "registry:write")
        assert (await h.api.get(base, headers=wrong)).status_code == 403
        hijack = await h.api.post(
            "/v1/subscriptions",
            headers=h.token(A),
            json={"channel": "email", "email": "x@x.test", "organisation_id": B},
        )
        assert hijack.status_code == 403
        admin = await h.api.get("/v1/subscriptions", headers=h.token(None, "admin"))
        assert {s["id"] for s in admin.json()} == {mine["id"], theirs["id"]}
        deliveries = await h.api.get(
            "/v1/deliveries", params={"subscription_id": theirs["id"]}, headers=h.token(A)
        )
        assert deliveries.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.8/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://[::1]:8080/",
        "http://127.0.0.2/hook",
        "http://0.0.0.0/",
        "http://user:pw@127.0.0.1/hook",
        "ftp://127.0.0.1/hook",
    ],
)
async def test_unsafe_webhook_targets_are_refused(notifier: Any, url: str) -> None:
    async with notifier(run_consumer=False, run_workers=False) as h:
        response = await h.api.post(
            "/v1/subscriptions", json={"channel": "webhook", "url": url}, headers=h.token(A)
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_undecodable_records_are_dead_lettered_and_consumption_goes_on(
    notifier: Any, receiver: Receiver
) -> None:
    events = list(smith_events())
    async with notifier() as h:
        await h.webhook(A, receiver.url("/a"), "ActionCommitted")
        await h.publish(events[:10])
        await h.producer.send_and_wait(
            h.topic, key=b"junk", value=b"{not json", headers=[("ce_id", b"x")]
        )
        await h.publish(events[10:])
        await eventually(lambda: len(receiver.at("/a")) == 1)
        [record] = await h.dlq_records()
        metrics = (await h.api.get("/metrics")).text
        ready = await h.api.get("/readyz")
        letters = await _acknowledge_all(h)
        ready_after = await h.api.get("/readyz")
    headers = dict(record.headers)
    assert record.key == b"junk" and record.value == b"{not json"
    assert headers[DLQ_HEADER_CONSUMER].decode() == h.settings.consumer_group
    assert headers[DLQ_HEADER_SOURCE_OFFSET] == b"10"
    assert headers[DLQ_HEADER_REASON]
    counted = f'consumer="{h.settings.consumer_group}",kind="undecodable"'
    assert f"remit_consumer_dead_letters_total{{{counted}}} 1.0" in metrics
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["degraded: unacknowledged dead letters"]
    [letter] = letters
    assert letter["kind"] == "undecodable" and letter["source_offset"] == 10
    assert letter["position"] is None and letter["value"] == "{not json"
    assert letter["consumer"] == h.settings.consumer_group
    assert ready_after.status_code == 200, ready_after.text


async def _acknowledge_all(h: Any) -> list[dict[str, Any]]:
    """Only admin sees or acknowledges dead letters; acknowledging ends the degraded state."""
    admin = h.token(None, "admin")
    assert (await h.api.get("/v1/dead-letters", headers=h.token(A))).status_code == 403
    assert (await h.api.get("/v1/dead-letters")).status_code == 401
    listed = (await h.api.get("/v1/dead-letters", headers=admin)).json()
    assert listed["degraded"] and listed["unacknowledged"] == len(listed["items"])
    missing = await h.api.post("/v1/dead-letters/999999/acknowledge", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for item in listed["items"]:
        done = await h.api.post(f"/v1/dead-letters/{item['id']}/acknowledge", headers=admin)
        assert done.status_code == 200, done.text
    assert done.json() == {"id": item["id"], "acknowledged": True, "degraded": False}
    assert (await h.api.get("/v1/dead-letters", headers=admin)).json()["items"] == []
    everything = await h.api.get(
        "/v1/dead-letters", params={"include_acknowledged": True}, headers=admin
    )
    acknowledged = everything.json()["items"]
    assert all(i["acknowledged_at"] and i["acknowledged_by"] for i in acknowledged)
    return list(listed["items"])


async def test_a_body_is_subscribed_once_the_notifier_has_read_its_registration(
    notifier: Any,
) -> None:
    events = list(smith_events())
    registered = next(
        pe.position
        for pe in events
        if pe.event.type == "OrganisationRegistered" and pe.event.stream_id == f"organisation-{A}"
    )
    body = {"channel": "email", "email": "alerts@a.test"}
    async with notifier(min_position_max_wait_s=0.3, run_workers=False) as h:
        unknown = await h.api.post("/v1/subscriptions", json=body, headers=h.token(A))
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["title"] == "Unknown organisation"
        assert "min_position" in unknown.json()["detail"]
        waited = await h.api.post(
            "/v1/subscriptions", json=body, params={"min_position": 1}, headers=h.token(A)
        )
        assert waited.status_code == 503 and waited.headers["retry-after"] == "1"
        assert waited.json()["position"] == 0
        await h.publish(events)
        created = await h.api.post(
            "/v1/subscriptions",
            json=body,
            params={"min_position": registered},
            headers=h.token(A),
        )
        assert created.status_code == 201, created.text
        shown = created.json()
        assert shown["organisation_known"] is True
        assert shown["starts_after"] >= registered
        assert int(created.headers["remit-position"]) == shown["starts_after"]
        assert shown["progress"]["considered_through"] == shown["starts_after"]
        typo = await h.api.post(
            "/v1/subscriptions", json=body, params={"min_position": 1}, headers=h.token("nhs-x")
        )
        assert typo.status_code == 422


async def test_deliveries_are_found_by_event_position_id_and_correlation(
    notifier: Any, receiver: Receiver
) -> None:
    events = list(smith_events())
    last = events[-1].position
    async with notifier(run_workers=False) as h:
        sub = await h.webhook(A, receiver.url("/a"))
        await h.publish(events)
        listed = await h.api.get(
            "/v1/deliveries", params={"min_position": last}, headers=h.token(A)
        )
        assert int(listed.headers["remit-position"]) >= last
        owed = listed.json()
        assert len(owed) > 3
        target = owed[2]
        for params, field, value in (
            ({"event_position": target["position"]}, "position", target["position"]),
            ({"event_id": target["event_id"]}, "event_id", target["event_id"]),
            (
                {"correlation_id": target["correlation_id"]},
                "correlation_id",
                target["correlation_id"],
            ),
        ):
            found = (await h.api.get("/v1/deliveries", params=params, headers=h.token(A))).json()
            assert target["id"] in [d["id"] for d in found], params
            assert all(d[field] == value for d in found), params
        shown = await h.api.get(f"/v1/subscriptions/{sub['id']}", headers=h.token(A))
    progress = shown.json()["progress"]
    assert progress["considered_through"] >= last
    assert progress["pending"] == len(owed)
    assert progress["delivered_through"] == owed[0]["position"] - 1
