"""/v1/subscriptions: an organisation's webhook and e-mail subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.notifier.entrypoints.deps import NotifierDep, Reader, Writer
from services.notifier.entrypoints.models import (
    Recovered,
    RotateSecret,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
)

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


def _public(row: dict[str, Any]) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row)


@router.post("", status_code=201, response_model=SubscriptionCreated)
async def create(body: SubscriptionCreate, caller: Writer, n: NotifierDep) -> SubscriptionCreated:
    """Subscribe a webhook URL or an e-mail address; a webhook's secret is returned only here."""
    spec = body.model_dump(mode="json", exclude_none=False)
    spec["reasons"] = [str(r) for r in body.reasons]
    if spec["organisation_id"] is None:
        spec.pop("organisation_id")
    row, secret = await n.subscriptions.create(caller, spec)
    return SubscriptionCreated(**_public(row).model_dump(), secret=secret)


@router.get("", response_model=list[SubscriptionPublic])
async def list_subscriptions(caller: Reader, n: NotifierDep) -> list[SubscriptionPublic]:
    """The caller's organisation's subscriptions (all of them for admins)."""
    return [_public(r) for r in await n.subscriptions.visible_to(caller)]


@router.get("/{sub_id}", response_model=SubscriptionPublic)
async def get(sub_id: UUID, caller: Reader, n: NotifierDep) -> SubscriptionPublic:
    """One subscription (404 if it belongs to another organisation)."""
    return _public(await n.subscriptions.get(caller, sub_id))


@router.delete("/{sub_id}", status_code=204)
async def delete(sub_id: UUID, caller: Writer, n: NotifierDep) -> Response:
    """Remove a subscription and its delivery history."""
    await n.subscriptions.delete(caller, sub_id)
    return Response(status_code=204)


@router.post("/{sub_id}/rotate-secret", response_model=SecretRotated)
async def rotate_secret(
    sub_id: UUID, caller: Writer, n: NotifierDep, body: RotateSecret | None = None
) -> SecretRotated:
    """New signing secret; the old one keeps signing (second signature) for the overlap."""
    overlap = body.overlap_seconds if body and body.overlap_seconds is not None else None
    if overlap is None:
        overlap = n.settings.secret_overlap_default_s
    row, secret = await n.subscriptions.rotate(caller, sub_id, overlap)
    return SecretRotated(
        subscription=_public(row),
        secret=secret,
        previous_secret_valid_until=row["previous_secret_until"],
    )


@router.post("/{sub_id}/enable", response_model=SubscriptionPublic)
async def enable(sub_id: UUID, caller: Writer, n: NotifierDep) -> SubscriptionPublic:
    """Resume deliveries; pending ones are attempted now."""
    row = await n.subscriptions.set_status(caller, sub_id, active=True)
    n.pool.poke()
    return _public(row)


@router.post("/{sub_id}/disable", response_model=SubscriptionPublic)
async def disable(sub_id: UUID, caller: Writer, n: NotifierDep) -> SubscriptionPublic:
    """Pause deliveries; alerts keep accumulating and nothing is lost."""
    return _public(await n.subscriptions.set_status(caller, sub_id, active=False))


@router.post("/{sub_id}/recover", response_model=Recovered)
async def recover(
    sub_id: UUID, caller: Writer, n: NotifierDep, since: Annotated[datetime, Query()]
) -> Recovered:
    """Requeue every delivery that failed or died since ``since``."""
    count = await n.subscriptions.recover(caller, sub_id, since)
    n.pool.poke()
    return Recovered(requeued=count)
