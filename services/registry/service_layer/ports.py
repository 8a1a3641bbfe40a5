"""What the service layer needs from the outside world. Adapters implement these; tests use fakes.

One command runs in one unit of work: load streams, decide, append, remember the idempotency key,
commit. Global positions are given after commit by the sequencer (see docs/ordering.md), so
``positions_of`` waits for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from schemas.envelope import DomainEvent


@dataclass(frozen=True)
class StoredResponse:
    """What a command returned the first time, replayed for a retried Idempotency-Key."""

    request_hash: str
    status_code: int
    body: dict[str, Any]


def caller_scope(subject: str, organisation_id: str | None = None) -> str:
    """Whose Idempotency-Keys these are: the token's subject, and its organisation if it has
    one, as a JSON array (``["alice"]``, ``["alice", "acme"]``): no two callers share a scope,
    whatever characters their subjects hold. Revision 0005 (sql/0005_idempotency_by_caller.sql)
    builds the same text, ``jsonb_build_array(actor)::text``, for the keys stored before it."""
    parts = [subject] if organisation_id is None else [subject, organisation_id]
    return json.dumps(parts, ensure_ascii=False)


@dataclass(frozen=True)
class ScopedKey:
    """An Idempotency-Key as one caller sent it: the same key from two callers is two keys, and
    neither caller ever sees the other's answer."""

    caller: str
    """:func:`caller_scope` of the token."""
    key: str


@dataclass(frozen=True)
class Reads:
    """What a command will lock and load, declared before its handler runs so that the unit of
    work can fetch all of it in the command's first round trip. Purely an optimisation: the
    handler still calls ``lock`` and ``load``, which then cost nothing for what was declared
    (and work as usual for what was not)."""

    streams: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()
    exclusive: tuple[str, ...] = ()


class EventStore(Protocol):
    async def load(self, stream_id: str) -> list[DomainEvent]:
        """All events of one stream in stream-version order (upcast to current versions)."""
        ...

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        """Hold stream locks until the transaction ends (taken in one sorted order, so two
        commands cannot deadlock). A command that relies on another stream's state (a body is
        not dissolved) locks it shared; one that changes what others rely on (dissolving)
        locks it exclusively. Take them before loading the streams."""
        ...

    async def streams_naming(self, entity_id: str, prefixes: tuple[str, ...]) -> list[str]:
        """Ids of the streams starting with one of ``prefixes`` whose stored events (corrections
        included) mention ``entity_id``: a superset, which callers fold to see what holds now."""
        ...

    async def locate(self, event_id: UUID) -> tuple[str, int] | None:
        """(stream id, stream version) of the stored event, or the replacement, with this id."""
        ...

    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Stage events in the unit of work's transaction. Raises ``ConcurrencyConflict`` (from
        ``services.registry.errors``) at append or commit time when a (stream_id, stream_version)
        already exists."""
        ...


class IdempotencyStore(Protocol):
    async def get(self, key: ScopedKey) -> StoredResponse | None: ...

    async def put(self, key: ScopedKey, response: StoredResponse) -> None:
        """Stage the response in the same transaction as the events it describes."""
        ...


class UnitOfWork(Protocol):
    @property
    def events(self) -> EventStore: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None:
        """Roll back anything not committed."""
        ...

    async def prepare(
        self, reads: Reads, idempotency_keys: Sequence[ScopedKey] = ()
    ) -> dict[ScopedKey, StoredResponse]:
        """Take the declared locks, fetch the declared streams, and return the answers stored
        for those of ``idempotency_keys`` (each its caller's) that have one: the reads of a
        command, or of a batch of commands, in one go."""
        ...

    async def commit(self) -> None: ...


class PositionSource(Protocol):
    async def positions_of(self, event_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Wait (bounded) until the sequencer has given each committed event its global
        position, sequencing pending events itself when no one else is; return them."""
        ...
