"""The catch-up feed: every event in global order, and one stream's history.

Who may read it is ``REMIT_EVENTS_ACCESS``: ``public`` (no token) or ``token`` (``events:read``);
the published contract says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response

from services.common.auth import require_scope
from services.common.openapi import problems
from services.common.positions import MAX_POSITION
from services.registry.entrypoints.deps import RegistryDep
from services.registry.entrypoints.models import EventPage, StoredEventPublic

READ_SCOPE = "events:read"

STREAM_ETAG = (
    "The stream's version (its last event's `stream_version`), quoted: send it as `If-Match` "
    "with a command on this stream, or as `If-None-Match` here (304 while nothing changed)."
)


def build_router(access: str) -> APIRouter:
    """The feed's routes; ``access == "token"``: each needs a token with ``events:read``."""
    guard: Sequence[Any] = [require_scope(READ_SCOPE)] if access == "token" else []
    router = APIRouter(prefix="/v1", tags=["feed"], dependencies=list(guard))

    @router.get("/events", response_model=EventPage)
    async def read_events(
        registry: RegistryDep,
        after: Annotated[
            int, Query(ge=0, le=MAX_POSITION, description="The last position already read.")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> EventPage:
        """Events after a global position, in global order, gap-free."""
        rows = await registry.feed.read_all(after, limit)
        head = await registry.feed.head_position()
        events = [
            StoredEventPublic.model_validate({"position": p, "event": _json(e)}) for p, e in rows
        ]
        return EventPage(events=events, next_after=rows[-1][0] if rows else after, head=head)

    @router.get(
        "/streams/{stream_id}",
        response_model=list[StoredEventPublic],
        responses={
            200: {"headers": {"ETag": {"description": STREAM_ETAG, "schema": {"type": "string"}}}},
            304: {"description": "`If-None-Match` names the stream's current version."},
            **problems(404, s404="No event in this stream."),
        },
    )
    async def read_stream(
        registry: RegistryDep,
        response: Response,
        stream_id: Annotated[
            str,
            Path(
                min_length=1,
                max_length=200,
                description="`organisation-<id>`, `review-<id>`, `recommendation-<id>`, "
                "`responsibility-<id>` or `action-<id>`.",
            ),
        ],
        if_none_match: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Any:
        """One stream's events in stream-version order, with its version as ``ETag``."""
        rows = await registry.feed.read_stream(stream_id)
        if not rows:
            raise HTTPException(404, f"no stream {stream_id!r}")
        etag = f'"{max(version for _, version, _ in rows)}"'
        if if_none_match is not None and _matches(etag, if_none_match):
            return Response(status_code=304, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return [
            StoredEventPublic.model_validate({"position": p, "event": _json(e)}) for p, _, e in rows
        ]

    return router


def _matches(etag: str, if_none_match: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _json(event: Any) -> dict[str, Any]:
    found: dict[str, Any] = event.model_dump(mode="json")
    return found
