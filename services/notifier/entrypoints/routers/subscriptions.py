"""/v1/subscriptions: an organisation's webhook and e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from fastapi.types import DecoratedCallable

from services.common.auth import Caller
from services.common.openapi import problems
from services.notifier.entrypoints.deps import (
    POSITION_HEADER,
    MinPosition,
    NotifierDep,
    Reader,
    Writer,
)
from services.notifier.entrypoints.models import (
    Recovered,
    RotateSecret,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
)

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

SubscriptionId = Annotated[UUID, Path(description="A subscription's `id`.")]
NOT_YOURS = "No such subscription for this token's organisation."
POSITION = {
    POSITION_HEADER: {
        "description": "The notifier's position: every event up to it has been read.",
        "schema": {"type": "string"},
    }
}
ON_IT = {"sub_id": "$response.body#/id"}
LINKS = {
    "get": {"operationId": "get_subscription", "parameters": ON_IT},
    "deliveries": {
        "operationId": "list_deliveries",
        "parameters": {"subscription_id": "$response.body#/id"},
    },
    "disable": {"operationId": "disable_subscription", "parameters": ON_IT},
    "enable": {"operationId": "enable_subscription", "parameters": ON_IT},
    "rotate_secret": {"operationId": "rotate_secret", "parameters": ON_IT},
    "delete": {"operationId": "delete_subscription", "parameters": ON_IT},
}
"""From a subscription in an answer to what may be done with it."""


async def _shown(n: NotifierDep, rows: list[dict[str, Any]]) -> list[SubscriptionPublic]:
    return [SubscriptionPublic.model_validate(r) for r in await n.subscriptions.shown(rows)]


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionCreated,
    responses={
        201: {"headers": POSITION, "links": LINKS},
        **problems(
            403,
            422,
            s403="The token lacks `subscriptions:write`, names no organisation, or subscribes "
            "another organisation than its own (only admin may).",
            s422="Malformed (`errors[]`); the webhook URL is refused (it must resolve to public "
            "addresses only, and be https in production); or the organisation is unknown to "
            "the notifier: `detail` says how to proceed (`min_position`, `await_registration`).",
        ),
    },
    name="create_subscription",
)
async def create(
    body: SubscriptionCreate,
    caller: Writer,
    n: NotifierDep,
    response: Response,
    min_position: MinPosition = None,
) -> SubscriptionCreated:
    """Subscribe a webhook URL or an e-mail address; a webhook's secret is returned only here.

    The organisation must be one whose registration the notifier has read: right after
    registering it, pass its `position` as `min_position`. Alerts are planned for every event
    after `starts_after`."""
    spec = body.model_dump(mode="json", exclude_none=False)
    if spec["organisation_id"] is None:
        spec.pop("organisation_id")
    row, secret = await n.subscriptions.create(caller, spec, min_position)
    [shown] = await n.subscriptions.shown([row])
    response.headers[POSITION_HEADER] = str(row["starts_after"])
    return SubscriptionCreated.model_validate({**shown, "secret": secret})


@router.get(
    "",
    response_model=list[SubscriptionPublic],
    responses={200: {"headers": POSITION}},
    name="list_subscriptions",
)
async def list_subscriptions(
    caller: Reader, n: NotifierDep, response: Response, min_position: MinPosition = None
) -> list[SubscriptionPublic]:
    """The caller's organisation's subscriptions (all of them for admins)."""
    response.headers[POSITION_HEADER] = str(await n.subscriptions.wait_for(min_position))
    return await _shown(n, await n.subscriptions.visible_to(caller))


@router.get(
    "/{sub_id}",
    response_model=SubscriptionPublic,
    responses={200: {"headers": POSITION}, **problems(404, s404=NOT_YOURS)},
    name="get_subscription",
)
async def get(
    sub_id: SubscriptionId,
    caller: Reader,
    n: NotifierDep,
    response: Response,
    min_position: MinPosition = None,
) -> SubscriptionPublic:
    """One subscription, with how far its alerts have gone (`progress`)."""
    response.headers[POSITION_HEADER] = str(await n.subscriptions.wait_for(min_position))
    [shown] = await _shown(n, [await n.subscriptions.get(caller, sub_id)])
    return shown


@router.delete(
    "/{sub_id}",
    status_code=204,
    response_class=Response,
    responses=problems(404, s404=NOT_YOURS),
    name="delete_subscription",
)
async def delete(sub_id: SubscriptionId, caller: Writer, n: NotifierDep) -> Response:
    """Remove a subscription and its delivery history."""
    await n.subscriptions.delete(caller, sub_id)
    return Response(status_code=204)


@router.post(
    "/{sub_id}/rotate-secret",
    response_model=SecretRotated,
    responses=problems(
        404, 409, s404=NOT_YOURS, s409="An e-mail subscription has no signing secret."
    ),
    name="rotate_secret",
)
async def rotate_secret(
    sub_id: SubscriptionId, caller: Writer, n: NotifierDep, body: RotateSecret | None = None
) -> SecretRotated:
    """New signing secret; the old one keeps signing (second signature) for the overlap."""
    overlap = body.overlap_seconds if body and body.overlap_seconds is not None else None
    if overlap is None:
        overlap = n.settings.secret_overlap_default_s
    row, secret = await n.subscriptions.rotate(caller, sub_id, overlap)
    [shown] = await _shown(n, [row])
    return SecretRotated(
        subscription=shown,
        secret=secret,
        previous_secret_valid_until=row["previous_secret_until"],
    )


def _switch(action: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The route ``POST /{sub_id}/<action>`` (operation ``<action>_subscription``) that
    enables or disables a subscription and answers it as it now stands."""
    return router.post(
        f"/{{sub_id}}/{action}",
        response_model=SubscriptionPublic,
        responses=problems(404, s404=NOT_YOURS),
        name=f"{action}_subscription",
    )


async def _set_status(
    n: NotifierDep, caller: Caller, sub_id: UUID, active: bool
) -> SubscriptionPublic:
    row = await n.subscriptions.set_status(caller, sub_id, active=active)
    if active:
        n.pool.poke()  # its pending deliveries are due now
    [shown] = await _shown(n, [row])
    return shown


@_switch("enable")
async def enable(sub_id: SubscriptionId, caller: Writer, n: NotifierDep) -> SubscriptionPublic:
    """Resume deliveries; pending ones are attempted now."""
    return await _set_status(n, caller, sub_id, active=True)


@_switch("disable")
async def disable(sub_id: SubscriptionId, caller: Writer, n: NotifierDep) -> SubscriptionPublic:
    """Pause deliveries; alerts keep accumulating and nothing is lost."""
    return await _set_status(n, caller, sub_id, active=False)


@router.post(
    "/{sub_id}/recover",
    response_model=Recovered,
    responses=problems(404, s404=NOT_YOURS),
    name="recover_subscription",
)
async def recover(
    sub_id: SubscriptionId,
    caller: Writer,
    n: NotifierDep,
    since: Annotated[datetime, Query(description="Requeue what failed from this moment on.")],
) -> Recovered:
    """Requeue every delivery that failed or died since ``since``."""
    count = await n.subscriptions.recover(caller, sub_id, since)
    n.pool.poke()
    return Recovered(requeued=count)
