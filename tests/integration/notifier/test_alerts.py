"""Alerts reach the bodies the Smith review's events affect, signed, by webhook and e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.integration.notifier.support import Receiver, SmtpSink
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration

NHSI = "nhs-improvement"
ACADEMY = "nhs-leadership-academy"


def _reasons_by_type(calls: list[Any]) -> list[tuple[str, str, list[str]]]:
    out = []
    for call in calls:
        data = call.json()["data"]
        subject = data["event"].get("responsibility_id") or data["event"].get("action_id") or ""
        out.append((call.json()["type"], subject, data["reasons"]))
    return out


async def test_smith_alerts_reach_nhsi_academy_and_email(
    notifier: Any, receiver: Receiver, smtp: SmtpSink
) -> None:
    async with notifier() as h:
        nhsi = await h.webhook(NHSI, receiver.url("/nhsi"), "Responsibility*", "Action*")
        academy = await h.subscribe(
            ACADEMY,
            channel="webhook",
            url=receiver.url("/academy"),
            reasons=["responsibility_lost", "proposal_not_followed"],
        )
        await h.subscribe(
            NHSI, channel="email", email="alerts@nhsi.test", event_types=["ActionCommitted"]
        )
        await h.publish(smith_events())
        await eventually(
            lambda: len(receiver.at("/nhsi")) >= 3 and len(receiver.at("/academy")) >= 2
        )
        await eventually(lambda: len(smtp.messages) >= 1)

    assert sorted(_reasons_by_type(receiver.at("/nhsi"))) == [
        ("ActionCommitted", "smith-review:succession-plan-top-200", ["action_committed"]),
        (
            "ResponsibilityTransferred",
            "improvement-capability-commissioning",
            ["responsibility_gained"],
        ),
        ("ResponsibilityTransferred", "talent-management", ["responsibility_gained"]),
    ]
    assert sorted(_reasons_by_type(receiver.at("/academy"))) == [
        (
            "ResponsibilityTransferred",
            "improvement-capability-commissioning",
            ["proposal_not_followed"],
        ),
        ("ResponsibilityTransferred", "talent-management", ["responsibility_lost"]),
    ]
    for path, sub in (("/nhsi", nhsi), ("/academy", academy)):
        for call in receiver.at(path):
            payload = Webhook(sub["secret"]).verify(call.body, call.headers)
            assert payload["data"]["recipient"]["organisation_id"] == sub["organisation_id"]
            assert call.headers["webhook-id"].startswith("msg_")
    rcpts, message = smtp.messages[0]
    assert rcpts == ["alerts@nhsi.test"]
    assert message["Subject"].startswith("Action committed for NHS Improvement: ")
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds


async def test_secret_is_shown_once_and_rotation_signs_with_both(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier() as h:
        sub = await h.webhook(NHSI, receiver.url("/r"), "ActionCommitted")
        assert sub["secret"].startswith("whsec_")
        got = await h.api.get(f"/v1/subscriptions/{sub['id']}", headers=h.token(NHSI))
        assert "secret" not in got.json()
        rotated = await h.api.post(
            f"/v1/subscriptions/{sub['id']}/rotate-secret",
            json={"overlap_seconds": 3600},
            headers=h.token(NHSI),
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/r")) == 1)
    call = receiver.at("/r")[0]
    assert len(call.headers["webhook-signature"].split(" ")) == 2
    Webhook(sub["secret"]).verify(call.body, call.headers)
    Webhook(new).verify(call.body, call.headers)
