"""Subscription use cases over the in-memory store (no I/O): organisations see only their own,
webhook targets are checked, secrets rotate, bodies must be known (or awaited), and a request
may wait for the notifier to read a position."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.common.auth import Caller
from services.notifier.domain.knowledge import fold
from services.notifier.errors import (
    Forbidden,
    NotCaughtUp,
    NotFound,
    UnknownOrganisation,
    UnsafeWebhookTarget,
)
from services.notifier.service_layer.subscriptions import Subscriptions
from tests.support.smith import smith_events
from tests.unit.notifier.fakes import FakeDatabase, FakeSubscriptionStore

NHSI = Caller("user", "nhs-improvement", frozenset({"subscriptions:write"}))
OTHER = Caller("user", "nhs-england", frozenset({"subscriptions:write"}))
ADMIN = Caller("ops", None, frozenset({"admin"}))
WEBHOOK = {"channel": "webhook", "url": "https://hooks.example.org/r", "email": None}


async def refuse_private(url: str) -> None:
    if "10.0.0.1" in url:
        raise ValueError("10.0.0.1 is a private address")


@pytest.fixture
def db() -> FakeDatabase:
    """What the notifier knows after reading the Smith review (position 82)."""
    events = smith_events()
    return FakeDatabase(checkpoint=events[-1].position, known=fold(e.event for e in events))


@pytest.fixture
def subscriptions(db: FakeDatabase) -> Subscriptions:
    return Subscriptions(FakeSubscriptionStore(db), refuse_private, max_wait_s=0.2, poll_s=0.01)


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


async def test_a_body_the_notifier_has_not_read_of_is_refused_unless_awaited(
    subscriptions: Subscriptions,
) -> None:
    typo = Caller("user", "nhs-improvment", frozenset({"subscriptions:write"}))
    with pytest.raises(UnknownOrganisation, match="min_position.*await_registration"):
        await subscriptions.create(typo, dict(WEBHOOK))
    row, _ = await subscriptions.create(typo, {**WEBHOOK, "await_registration": True})
    [shown] = await subscriptions.shown([row])
    assert shown["organisation_known"] is False
    [known] = await subscriptions.shown([(await subscriptions.create(NHSI, dict(WEBHOOK)))[0]])
    assert known["organisation_known"] is True


async def test_a_request_waits_for_the_position_it_names(
    subscriptions: Subscriptions, db: FakeDatabase
) -> None:
    with pytest.raises(NotCaughtUp) as refused:
        await subscriptions.wait_for(db.checkpoint + 1)
    assert refused.value.position == db.checkpoint
    assert refused.value.headers["Retry-After"] == "1"

    async def later() -> None:
        await asyncio.sleep(0.05)
        db.checkpoint += 1

    arrives = asyncio.create_task(later())
    assert await subscriptions.wait_for(db.checkpoint + 1) == db.checkpoint
    await arrives


async def test_a_new_subscription_says_from_where_it_is_alerted(
    subscriptions: Subscriptions, db: FakeDatabase
) -> None:
    row, _ = await subscriptions.create(NHSI, dict(WEBHOOK))
    [shown] = await subscriptions.shown([row])
    assert row["starts_after"] == db.checkpoint
    assert shown["progress"] == {
        "considered_through": db.checkpoint,
        "delivered_through": db.checkpoint,
        "pending": 0,
        "dead": 0,
        "delivered": 0,
    }
