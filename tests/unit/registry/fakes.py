"""In-memory stand-ins for the registry's ports: enough behaviour to test handlers without I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from uuid import UUID

from schemas.envelope import DomainEvent
from services.registry.errors import ConcurrencyConflict
from services.registry.service_layer.ports import Reads, ScopedKey, StoredResponse


class FakeEventStore:
    def __init__(self) -> None:
        self.committed: list[DomainEvent] = []
        self.shared_locks: set[str] = set()
        self.exclusive_locks: set[str] = set()
        self.staged: list[DomainEvent] = []
        self.loaded: list[str] = []
        """Streams loaded, locks asked for, and streams a query found, since the command's
        reads were declared."""
        self.locked: list[str] = []
        self.found: list[str] = []

    async def load(self, stream_id: str) -> list[DomainEvent]:
        """What is stored, as the real store gives it: staged events are not (yet)."""
        self.loaded.append(stream_id)
        return [e for e in self.committed if e.stream_id == stream_id]

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        shared, exclusive = list(shared), list(exclusive)
        self.locked += [*shared, *exclusive]
        self.shared_locks.update(shared)
        self.exclusive_locks.update(exclusive)

    async def streams_naming(self, entity_id: str, prefixes: tuple[str, ...]) -> list[str]:
        quoted = json.dumps(entity_id)
        found = sorted(
            {
                e.stream_id
                for e in [*self.committed, *self.staged]
                if e.stream_id.startswith(prefixes) and quoted in e.model_dump_json()
            }
        )
        self.found += found
        return found

    async def locate(self, event_id: UUID) -> tuple[str, int] | None:
        for event in [*self.committed, *self.staged]:
            if event.event_id == event_id:
                return event.stream_id, event.stream_version
            for replaced in getattr(event, "replaced", ()):
                if replaced.replacement.event_id == event_id:
                    return event.stream_id, replaced.stream_version
        return None

    async def append(self, events: Sequence[DomainEvent]) -> None:
        taken = {(e.stream_id, e.stream_version) for e in [*self.committed, *self.staged]}
        for event in events:
            if (event.stream_id, event.stream_version) in taken:
                raise ConcurrencyConflict(f"{event.stream_id} v{event.stream_version} exists")
            self.staged.append(event)


class FakeIdempotencyStore:
    def __init__(self) -> None:
        self.committed: dict[ScopedKey, StoredResponse] = {}
        self.staged: dict[ScopedKey, StoredResponse] = {}

    async def get(self, key: ScopedKey) -> StoredResponse | None:
        return self.committed.get(key)

    async def put(self, key: ScopedKey, response: StoredResponse) -> None:
        self.staged[key] = response


class FakeUnitOfWork:
    """Shares committed state across instances, like a database would."""

    def __init__(self) -> None:
        self.events = FakeEventStore()
        self.idempotency = FakeIdempotencyStore()
        self.commits = 0
        self.prepared: list[Reads] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.events.staged.clear()
        self.idempotency.staged.clear()

    async def prepare(
        self, reads: Reads, idempotency_keys: Sequence[ScopedKey] = ()
    ) -> dict[ScopedKey, StoredResponse]:
        self.prepared.append(reads)
        await self.events.lock(reads.shared, reads.exclusive)
        self.events.loaded, self.events.locked, self.events.found = [], [], []
        kept = {key: await self.idempotency.get(key) for key in idempotency_keys}
        return {key: answer for key, answer in kept.items() if answer is not None}

    async def commit(self) -> None:
        if taken := self.idempotency.staged.keys() & self.idempotency.committed.keys():
            raise ConcurrencyConflict(f"idempotency key {next(iter(taken)).key!r} is taken")
        self.events.committed.extend(self.events.staged)
        self.idempotency.committed.update(self.idempotency.staged)
        self.events.staged.clear()
        self.idempotency.staged.clear()
        self.commits += 1


class FakePositions:
    """Gives positions in commit order, as the sequencer would."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def positions_of(self, event_ids: Sequence[UUID]) -> dict[UUID, int]:
        order = {e.event_id: i + 1 for i, e in enumerate(self.uow.events.committed)}
        return {i: order[i] for i in event_ids if i in order}
