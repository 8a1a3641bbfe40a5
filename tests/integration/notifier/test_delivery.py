"""Retries, 410, disabling after continuous failure, and a hanging receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.integration.notifier.support import Received, Receiver, SmtpSink, failing
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
NHSI = "nhs-improvement"


async def _deliveries(h: Any, org: str, sub_id: str) -> list[dict[str, Any]]:
    response = await h.api.get(
        "/v1/deliveries", params={"subscription_id": sub_id}, headers=h.token(org)
    )
    assert response.status_code == 200, response.text
    return list(response.json())


async def _first_is(h: Any, sub: dict[str, Any], status: str) -> list[dict[str, Any]]:
    """The deliveries of ``sub`` once the first has ``status``."""
    return await eventually(
        lambda: _deliveries(h, NHSI, sub["id"]), lambda d: d[0]["status"] == status
    )


async def _alert_until(h: Any, receiver: Receiver, path: str, calls: int) -> dict[str, Any]:
    """NHSI's webhook at ``path`` for ActionCommitted, once the Smith events are published and
    the receiver has been called ``calls`` times."""
    sub: dict[str, Any] = await h.webhook(NHSI, receiver.url(path), "ActionCommitted")
    await h.publish(smith_events())
    await eventually(lambda: len(receiver.at(path)) == calls)
    return sub


async def test_failing_then_succeeding_receiver_gets_one_success(
    notifier: Any, receiver: Receiver
) -> None:
    receiver.behaviours["/flaky"] = failing(503, times=3)
    async with notifier() as h:
        sub = await _alert_until(h, receiver, "/flaky", calls=4)
        [delivery] = await _first_is(h, sub, "delivered")
    calls = receiver.at("/flaky")
    assert len(calls) == 4 and len({c.headers["webhook-id"] for c in calls}) == 1
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 503, 503, 200]
    assert [a["outcome"] for a in delivery["attempts"]] == ["failed"] * 3 + ["delivered"]
    assert all(a["next_attempt_at"] for a in delivery["attempts"][:3])


async def test_retry_after_and_dead_letter_then_manual_retry(
    notifier: Any, receiver: Receiver
) -> None:
    receiver.behaviours["/down"] = failing(500, times=5)
    async with notifier() as h:
        sub = await _alert_until(h, receiver, "/down", calls=5)
        [dead] = await _first_is(h, sub, "dead")
        assert len(dead["attempts"]) == 5
        retried = await h.api.post(f"/v1/deliveries/{dead['id']}/retry", headers=h.token(NHSI))
        assert retried.status_code == 202
        await eventually(lambda: len(receiver.at("/down")) == 6)
        await _first_is(h, sub, "delivered")


async def test_gone_disables_and_enable_resumes(notifier: Any, receiver: Receiver) -> None:
    gone = True

    async def maybe_gone(_: Received, __: int) -> tuple[int, dict[str, str]]:
        return (410, {}) if gone else (200, {})

    receiver.behaviours["/gone"] = maybe_gone
    async with notifier() as h:
        sub = await _alert_until(h, receiver, "/gone", calls=1)
        url = f"/v1/subscriptions/{sub['id']}"

        async def status() -> str:
            return str((await h.api.get(url, headers=h.token(NHSI))).json()["status"])

        await eventually(status, lambda s: s == "disabled")
        assert await h.claimable() == (0, 0)  # its job waits, unclaimable, while disabled
        assert len(receiver.at("/gone")) == 1
        gone = False
        enabled = await h.api.post(f"{url}/enable", headers=h.token(NHSI))
        assert enabled.json()["status"] == "active"
        await eventually(lambda: len(receiver.at("/gone")) == 2)
    assert (
        receiver.at("/gone")[1].headers["webhook-id"]
        == receiver.at("/gone")[0].headers["webhook-id"]
    )


async def test_continuous_failure_disables_and_tells_the_organisation(
    notifier: Any, receiver: Receiver, smtp: SmtpSink
) -> None:
    async def broken(_: Received, __: int) -> tuple[int, dict[str, str]]:
        return 500, {}

    receiver.behaviours["/broken"] = broken
    async with notifier(disable_after_s=0.5, retry_schedule_s=(0.2,) * 20) as h:
        sub = await h.webhook(NHSI, receiver.url("/broken"), "ActionCommitted")
        await h.subscribe(NHSI, channel="email", email="ops@nhsi.test", event_types=["None"])
        await h.publish(smith_events())
        await eventually(
            lambda: any("disabled" in str(m["Subject"]) for _, m in smtp.messages), within=10
        )
        got = await h.api.get(f"/v1/subscriptions/{sub['id']}", headers=h.token(NHSI))
        paused = await h.claimable()
        [job] = await _deliveries(h, NHSI, sub["id"])
    assert got.json()["status"] == "disabled"
    assert paused == (0, 0)  # its job waits, unclaimable
    assert job["status"] == "pending"  # nothing lost
    rcpts = [r for r, m in smtp.messages if "disabled" in str(m["Subject"])]
    assert rcpts == [["ops@nhsi.test"]]


async def test_hanging_receiver_does_not_delay_another(notifier: Any, receiver: Receiver) -> None:
    release = asyncio.Event()

    async def hang(_: Received, __: int) -> tuple[int, dict[str, str]]:
        await release.wait()
        return 200, {}

    receiver.behaviours["/slow"] = hang
    async with notifier(http_timeout_s=60.0) as h:
        try:
            await h.subscribe(
                ACADEMY := "nhs-leadership-academy", channel="webhook", url=receiver.url("/slow")
            )
            await h.webhook(NHSI, receiver.url("/fast"), "ActionCommitted")
            await h.publish(smith_events())
            # the Academy's delivery hangs for up to 60 s: NHSI's arrives well within that
            await eventually(lambda: len(receiver.at("/fast")) == 1, within=10)
            slow_in_flight = len(receiver.at("/slow"))
        finally:
            release.set()  # a failed wait must not leave the notifier's stop waiting on it
    assert 1 <= slow_in_flight <= 2  # per-subscription in-flight limit
    assert ACADEMY
