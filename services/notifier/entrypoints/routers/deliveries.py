"""/v1/deliveries: delivery jobs with every attempt, and manual retry."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query

from services.notifier.entrypoints.deps import NotifierDep, Reader, Writer
from services.notifier.entrypoints.models import DeliveryPublic

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get("", response_model=list[DeliveryPublic])
async def list_deliveries(
    caller: Reader,
    n: NotifierDep,
    subscription_id: UUID | None = None,
    limit: int = Query(default=500, ge=1, le=5000),
) -> list[DeliveryPublic]:
    """Deliveries (oldest event first) with their attempts."""
    rows = await n.subscriptions.deliveries(caller, subscription_id, limit)
    return [DeliveryPublic.model_validate(r) for r in rows]


@router.post("/{delivery_id}/retry", status_code=202)
async def retry(delivery_id: UUID, caller: Writer, n: NotifierDep) -> dict[str, str]:
    """Attempt this delivery again now, with a fresh retry schedule."""
    row = await n.subscriptions.retry(caller, delivery_id)
    n.pool.poke()
    return {"id": str(row["id"]), "status": str(row["status"])}
