"""Subscription use cases over the in-memory store (no I/O): organisations see only their own,
webhook targets are checked, secrets rotate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.common.auth import Caller
from services.notifier.errors import Forbidden, NotFound, UnsafeWebhookTarget
from services.notifier.service_layer.subscriptions import Subscriptions
from tests.unit.notifier.fakes import FakeDatabase, FakeSubscriptionStore

NHSI = Caller("user", "nhs-improvement", frozenset({"subscriptions:write"}))
OTHER = Caller("user", "nhs-england", frozenset({"subscriptions:write"}))
ADMIN = Caller("ops", None, frozenset({"admin"}))
WEBHOOK = {"channel": "webhook", "url": "https://hooks.example.org/r", "email": None}


async def refuse_private(url: str) -> None:
    if "10.0.0.1" in url:
        raise ValueError("10.0.0.1 is a private address")


@pytest.fixture
def subscriptions() -> Subscriptions:
    return Subscriptions(FakeSubscriptionStore(FakeDatabase()), refuse_private)


async def test_a_webhook_gets_a_secret_once_and_each_organisation_sees_its_own(
    subscriptions: Subscriptions,
) -> None:
    row, secret = await subscriptions.create(NHSI, dict(WEBHOOK))
    assert secret is not None and secret.startswith("whsec_") and "secret" not in row
    await subscriptions.create(OTHER, dict(WEBHOOK))
    assert [r["id"] for r in await subscriptions.visible_to(NHSI)] == [row["id"]]
    assert len(await subscriptions.visible_to(ADMIN)) == 2
    with pytest.raises(NotFound):
        await subscriptions.get(OTHER, row["id"])


async def test_a_token_subscribes_only_its_own_organisation(subscriptions: Subscriptions) -> None:
    with pytest.raises(Forbidden):
        await subscriptions.create(NHSI, {**WEBHOOK, "organisation_id": "nhs-england"})
    row, _ = await subscriptions.create(ADMIN, {**WEBHOOK, "organisation_id": "nhs-england"})
    assert row["organisation_id"] == "nhs-england"


async def test_an_unsafe_target_is_refused(subscriptions: Subscriptions) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="private"):
        await subscriptions.create(NHSI, {**WEBHOOK, "url": "http://10.0.0.1/hook"})


async def test_rotating_keeps_the_old_secret_for_the_overlap(subscriptions: Subscriptions) -> None:
    row, first = await subscriptions.create(NHSI, dict(WEBHOOK))
    before = datetime.now(UTC)
    rotated, second = await subscriptions.rotate(NHSI, row["id"], overlap=3600)
    assert second != first
    assert rotated["previous_secret_until"] >= before
    with pytest.raises(NotFound):
        await subscriptions.rotate(OTHER, row["id"], overlap=0)
    with pytest.raises(NotFound):
        await subscriptions.get(NHSI, uuid.uuid4())
