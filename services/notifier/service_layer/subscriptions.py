"""Subscription use cases: create (with SSRF check and a one-time secret), rotate, enable; and
what the API shows of them: whether the body is known, how far alerts have gone.

A subscription is for a body the notifier has read the registration of (its knowledge of the
``organisation-<id>`` stream): a typo would otherwise mean no alert, ever, and no error. Right
after registering a body, ``min_position`` (the registration's position) makes the request
wait until the notifier has read it; ``await_registration`` subscribes a body before it is
registered, and the subscription says ``organisation_known: false`` until it is.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.corrections import effective
from schemas.envelope import DomainEvent
from schemas.organisations import OrganisationRegistered
from schemas.streams import organisation_stream
from services.common.auth import Caller
from services.notifier.errors import (
    Conflict,
    Forbidden,
    InvalidSubscription,
    NotCaughtUp,
    NotFound,
    UnknownOrganisation,
    UnsafeWebhookTarget,
)
from services.notifier.service_layer.ports import (
    DeliveryQuery,
    Row,
    SubscriptionStore,
    TargetCheck,
)


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes, as Standard Webhooks expects."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def scope_of(caller: Caller) -> str | None:
    """The organisation whose subscriptions the caller may see; ``None`` for admins (all)."""
    if caller.is_admin:
        return None
    if not caller.organisation_id:
        raise Forbidden("the token does not name an organisation")
    return caller.organisation_id


def registered(log: Iterable[DomainEvent]) -> bool:
    """Whether a body's log (as corrected) holds its registration (announced or in effect)."""
    return any(isinstance(event, OrganisationRegistered) for event in effective(log))


@dataclass
class Subscriptions:
    store: SubscriptionStore
    check_target: TargetCheck
    """Raises ``ValueError`` if a webhook URL must not be called (SSRF)."""
    require_https: bool = False
    max_wait_s: float = 5.0
    poll_s: float = 0.05

    async def wait_for(self, position: int | None) -> int:
        """The notifier's position, once it has ingested ``position`` (if given)."""
        deadline = time.monotonic() + self.max_wait_s
        while (now := await self.store.position()) < (position or 0):
            if time.monotonic() >= deadline:
                raise NotCaughtUp(
                    f"position {position} not ingested within {self.max_wait_s:g} s "
                    f"(at {now}); retry",
                    position=now,
                )
            await asyncio.sleep(self.poll_s)
        return now

    async def known(self, organisation_id: str) -> bool:
        return registered(await self.store.knowledge_of(organisation_stream(organisation_id)))

    async def create(
        self, caller: Caller, spec: dict[str, Any], min_position: int | None = None
    ) -> tuple[Row, str | None]:
        """The subscription (with ``starts_after``) and, for a webhook, its secret."""
        org = spec.pop("organisation_id", None)
        if org and not caller.is_admin and org != caller.organisation_id:
            raise Forbidden("a token can only subscribe its own organisation")
        org = org or caller.organisation_id
        if not org:
            raise InvalidSubscription("organisation_id is required for a token without 'org'")
        if spec["channel"] == "webhook":
            await self.check_url(spec["url"])
        position = await self.wait_for(min_position)
        if not spec.pop("await_registration", False) and not await self.known(org):
            raise UnknownOrganisation(
                f"no organisation {org!r} among the events the notifier has read (up to "
                f"position {position}). Registered just now? Repeat with ?min_position= the "
                "registration's position. To subscribe it before it is registered, send "
                '"await_registration": true.'
            )
        secret = new_secret() if spec["channel"] == "webhook" else None
        now = datetime.now(UTC)
        row = {
            **spec,
            "id": uuid.uuid4(),
            "organisation_id": org,
            "secret": secret,
            "created_at": now,
            "updated_at": now,
        }
        return await self.store.add(row), secret

    async def check_url(self, url: str) -> None:
        if self.require_https and not url.startswith("https://"):
            raise InvalidSubscription("webhook URLs must use https")
        try:
            await self.check_target(url)
        except ValueError as exc:
            raise UnsafeWebhookTarget(str(exc)) from exc

    async def visible_to(self, caller: Caller) -> list[Row]:
        """The caller's organisation's subscriptions (every one for an admin)."""
        return await self.store.all(scope_of(caller))

    async def get(self, caller: Caller, sub_id: uuid.UUID) -> Row:
        row = await self.store.get(sub_id, scope_of(caller))
        if row is None:
            raise NotFound(f"no subscription {sub_id}")
        return row

    async def rotate(self, caller: Caller, sub_id: uuid.UUID, overlap: float) -> tuple[Row, str]:
        row = await self.get(caller, sub_id)
        if row["channel"] != "webhook":
            raise Conflict("only webhook subscriptions have a signing secret")
        now = datetime.now(UTC)
        secret = new_secret()
        updated = await self.store.rotate(sub_id, secret, now + timedelta(seconds=overlap), now)
        return updated, secret

    async def set_status(self, caller: Caller, sub_id: uuid.UUID, active: bool) -> Row:
        await self.get(caller, sub_id)
        reason = None if active else f"disabled by {caller.subject}"
        return await self.store.set_status(
            sub_id, "active" if active else "disabled", reason, datetime.now(UTC)
        )

    async def delete(self, caller: Caller, sub_id: uuid.UUID) -> None:
        await self.get(caller, sub_id)
        await self.store.delete(sub_id)

    async def recover(self, caller: Caller, sub_id: uuid.UUID, since: datetime) -> int:
        await self.get(caller, sub_id)
        return await self.store.recover(sub_id, since, datetime.now(UTC))

    async def deliveries(self, caller: Caller, query: DeliveryQuery) -> list[Row]:
        if query.subscription_id is not None:
            await self.get(caller, query.subscription_id)
        return await self.store.deliveries(scope_of(caller), query)

    async def shown(self, rows: list[Row]) -> list[Row]:
        """``rows`` with ``organisation_known`` and ``progress`` (see the API's models)."""
        position = await self.store.position()
        done = await self.store.progress([r["id"] for r in rows])
        known = {org: await self.known(org) for org in {r["organisation_id"] for r in rows}}
        return [
            {
                **row,
                "organisation_known": known[row["organisation_id"]],
                "progress": progress(done.get(row["id"], {}), position),
            }
            for row in rows
        ]

    async def retry(self, caller: Caller, job_id: uuid.UUID) -> Row:
        row = await self.store.retry(job_id, scope_of(caller), datetime.now(UTC))
        if row is None:
            owner = await self.store.job_owner(job_id)
            if owner is None or (scope_of(caller) not in (None, owner)):
                raise NotFound(f"no delivery {job_id}")
            raise Conflict("the delivery is being attempted right now")
        return row


def progress(found: Row, position: int) -> Row:
    first = found.get("first_undelivered")
    return {
        "considered_through": position,
        "delivered_through": position if first is None else first - 1,
        "pending": found.get("pending", 0),
        "dead": found.get("dead", 0),
        "delivered": found.get("delivered", 0),
    }
