"""The catch-up feed: every event in global order, and one stream's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from services.common.auth import authenticate
from services.registry.entrypoints.deps import RegistryDep
from services.registry.entrypoints.models import EventPage, StoredEventPublic

router = APIRouter(prefix="/v1", tags=["feed"])


async def _check_reader(request: Request, registry: RegistryDep) -> None:
    if not registry.settings.feed_requires_auth:
        return
    caller = await authenticate(request)
    if "registry:read" not in caller.scopes and not caller.is_admin:
        raise HTTPException(403, "the token lacks the scope 'registry:read'")


@router.get("/events", response_model=EventPage)
async def read_events(
    request: Request,
    registry: RegistryDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Events after a global position, in global order, gap-free."""
    await _check_reader(request, registry)
    rows = await registry.feed.read_all(after, limit)
    head = await registry.feed.head_position()
    events = [StoredEventPublic(position=p, event=e.model_dump(mode="json")) for p, e in rows]
    return EventPage(events=events, next_after=rows[-1][0] if rows else after, head=head)


@router.get("/streams/{stream_id}", response_model=list[StoredEventPublic])
async def read_stream(
    request: Request,
    registry: RegistryDep,
    stream_id: Annotated[str, Path(min_length=1, max_length=200)],
) -> list[StoredEventPublic]:
    """One stream's events in stream-version order."""
    await _check_reader(request, registry)
    rows = await registry.feed.read_stream(stream_id)
    if not rows:
        raise HTTPException(404, f"no stream {stream_id!r}")
    return [StoredEventPublic(position=p, event=e.model_dump(mode="json")) for p, _, e in rows]
