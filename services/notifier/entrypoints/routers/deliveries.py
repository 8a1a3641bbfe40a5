"""/v1/deliveries: delivery jobs with every attempt, and manual retry."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from services.common.openapi import problems
from services.common.positions import MAX_POSITION
from services.notifier.entrypoints.deps import (
    POSITION_HEADER,
    MinPosition,
    NotifierDep,
    Reader,
    Writer,
)
from services.notifier.entrypoints.models import DeliveryPublic, RetryQueued
from services.notifier.entrypoints.routers.subscriptions import POSITION
from services.notifier.service_layer.ports import DeliveryQuery

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get(
    "",
    response_model=list[DeliveryPublic],
    responses={
        200: {"headers": POSITION},
        **problems(404, s404="`subscription_id` names no subscription of this organisation."),
    },
    name="list_deliveries",
)
async def list_deliveries(
    caller: Reader,
    n: NotifierDep,
    response: Response,
    subscription_id: Annotated[UUID | None, Query(description="Only this subscription's.")] = None,
    event_position: Annotated[
        int | None,
        Query(ge=1, le=MAX_POSITION, description="Only those of the event at this position."),
    ] = None,
    event_id: Annotated[UUID | None, Query(description="Only those of this event.")] = None,
    correlation_id: Annotated[
        str | None,
        Query(max_length=200, description="Only those of events of this correlation id."),
    ] = None,
    min_position: MinPosition = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[DeliveryPublic]:
    """Deliveries (oldest event first) with their attempts. With `min_position` set to a
    command's position, the deliveries its events cause are all listed (none may be, if no
    subscription is concerned)."""
    response.headers[POSITION_HEADER] = str(await n.subscriptions.wait_for(min_position))
    query = DeliveryQuery(
        limit=limit,
        subscription_id=subscription_id,
        event_position=event_position,
        event_id=event_id,
        correlation_id=correlation_id,
    )
    rows = await n.subscriptions.deliveries(caller, query)
    return [DeliveryPublic.model_validate(r) for r in rows]


@router.post(
    "/{delivery_id}/retry",
    status_code=202,
    response_model=RetryQueued,
    responses=problems(
        404,
        409,
        s404="No such delivery for this token's organisation.",
        s409="The delivery is being attempted right now.",
    ),
    name="retry_delivery",
)
async def retry(
    delivery_id: Annotated[UUID, Path(description="A delivery's `id`.")],
    caller: Writer,
    n: NotifierDep,
) -> RetryQueued:
    """Attempt this delivery again now, with a fresh retry schedule."""
    row = await n.subscriptions.retry(caller, delivery_id)
    n.pool.poke()
    return RetryQueued(id=row["id"], status=str(row["status"]))
