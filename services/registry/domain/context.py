"""What every decision needs besides state and command: who asks, when, and how to stamp events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from schemas.envelope import DomainEvent, Source

E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Context:
    """The envelope values shared by the events one command produces."""

    actor: str
    correlation_id: str
    now: datetime
    source: Source
    occurred_at: datetime | None = None
    causation_id: str | None = None
    new_id: Callable[[], UUID] = field(default=uuid4)

    def stamp(self, cls: type[E], stream_id: str, stream_version: int, **fields: Any) -> E:
        return cls(
            event_id=self.new_id(),
            stream_id=stream_id,
            stream_version=stream_version,
            occurred_at=self.occurred_at,
            recorded_at=self.now,
            source=self.source,
            actor=self.actor,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            **fields,
        )
