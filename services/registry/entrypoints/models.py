"""HTTP request and response shapes, kept apart from the events they lead to."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, create_model

from services.common.openapi import EventPublic
from services.registry.domain.commands import Command


def request_body(command: type[Command], *path_fields: str, name: str = "") -> type[BaseModel]:
    """The command's fields minus those the URL path supplies (and the ``command`` tag);
    ``name`` (default: the command's) names its schema."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in {"command", *path_fields}
    }
    return create_model(
        f"{name or command.__name__}Request",
        __config__=command.model_config,
        __doc__=command.__doc__,
        **fields,
    )


class AppendedEventPublic(BaseModel):
    event_id: UUID
    event_type: str
    stream_id: str
    stream_version: int = Field(description="The stream's version after this event.")
    position: int | None = Field(description="The event's global position (gap-free order).")


class CommandAccepted(BaseModel):
    """What a command appended: each event with its stream version and global position."""

    events: list[AppendedEventPublic]
    replayed: bool = Field(description="True: a replay of an earlier request (same key).")
    position: int | None = Field(
        description="The last event's position: pass it as `min_position` to read your write."
    )


class StoredEventPublic(BaseModel):
    position: int | None
    event: EventPublic


class EventPage(BaseModel):
    events: list[StoredEventPublic]
    next_after: int = Field(description="Pass as `after` for the next page.")
    head: int = Field(description="The highest position stored now.")


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    problems: list[str]
