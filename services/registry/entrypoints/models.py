"""HTTP request and response shapes, kept apart from the events they lead to."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, create_model

from services.registry.domain.commands import Command


def request_body(command: type[Command], *path_fields: str) -> type[BaseModel]:
    """The command's fields minus those the URL path supplies (and the ``command`` tag)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in {"command", *path_fields}
    }
    return create_model(
        f"{command.__name__}Request",
        __config__=command.model_config,
        __doc__=command.__doc__,
        **fields,
    )


class AppendedEventPublic(BaseModel):
    event_id: UUID
    event_type: str
    stream_id: str
    stream_version: int
    position: int | None


class CommandAccepted(BaseModel):
    """What a command appended: each event with its stream version and global position."""

    events: list[AppendedEventPublic]
    replayed: bool
    position: int | None


class StoredEventPublic(BaseModel):
    position: int | None
    event: dict[str, Any]


class EventPage(BaseModel):
    events: list[StoredEventPublic]
    next_after: int
    head: int
