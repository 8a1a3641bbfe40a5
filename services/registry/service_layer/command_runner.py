"""Running one command: idempotency, optimistic concurrency, one unit of work, then positions.

:func:`run_command` wraps a handler (``handlers.handle``) in a unit of work: it reads what the
command declared, lets the handler decide, appends the events with the answer kept for the
Idempotency-Key, commits, and waits for the events' global positions. Keys are scoped by caller
(:class:`~services.registry.service_layer.ports.ScopedKey`): a key another caller used is a
different key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from schemas.envelope import DomainEvent
from services.registry.domain.commands import AnyCommand
from services.registry.domain.context import Context
from services.registry.errors import (
    ConcurrencyConflict,
    DomainRuleViolated,
    IdempotencyKeyReused,
    PreconditionFailed,
    StaleRead,
)
from services.registry.service_layer.handlers import handle, reads
from services.registry.service_layer.ports import (
    PositionSource,
    ScopedKey,
    StoredResponse,
    UnitOfWork,
)


@dataclass(frozen=True)
class SubmitOptions:
    """What a command is submitted with besides its fields (the ``Idempotency-Key`` and
    ``If-Match`` of its request): a retried ``idempotency_key`` (the same caller's) returns the
    first result and appends nothing; ``expected_version`` must equal the primary stream's
    current version."""

    idempotency_key: ScopedKey | None = None
    expected_version: int | None = None


NO_OPTIONS = SubmitOptions()


@dataclass(frozen=True)
class AppendedEvent:
    event_id: UUID
    event_type: str
    stream_id: str
    stream_version: int
    position: int | None


@dataclass(frozen=True)
class CommandResult:
    events: tuple[AppendedEvent, ...]
    replayed: bool = False


def request_hash(cmd: AnyCommand) -> str:
    body = json.dumps(cmd.fingerprint(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def describe(events: list[DomainEvent]) -> dict[str, object]:
    """The answer kept for an Idempotency-Key: the events a command appended."""
    return {
        "events": [
            {
                "event_id": str(e.event_id),
                "event_type": e.type,
                "stream_id": e.stream_id,
                "stream_version": e.stream_version,
            }
            for e in events
        ]
    }


def event_ids(body: dict[str, object]) -> list[UUID]:
    """The ids of the events a kept answer (:func:`describe`) lists."""
    rows = body["events"]
    assert isinstance(rows, list)
    return [UUID(row["event_id"]) for row in rows]


def answer(body: dict[str, object], found: dict[UUID, int], replayed: bool) -> CommandResult:
    """The result of a command from its kept answer and the positions ``found`` so far."""
    rows = body["events"]
    assert isinstance(rows, list)
    return CommandResult(
        tuple(
            AppendedEvent(
                UUID(row["event_id"]),
                row["event_type"],
                row["stream_id"],
                row["stream_version"],
                found.get(UUID(row["event_id"])),
            )
            for row in rows
        ),
        replayed,
    )


async def _with_positions(
    body: dict[str, object], positions: PositionSource, replayed: bool
) -> CommandResult:
    return answer(body, await positions.positions_of(event_ids(body)), replayed)


STALE_READ_ATTEMPTS = 3
"""How often a command is decided again when a body it relied on changed before it committed."""


async def run_command(
    cmd: AnyCommand,
    ctx: Context,
    uow_factory: Callable[[], UnitOfWork],
    positions: PositionSource,
    options: SubmitOptions = NO_OPTIONS,
) -> CommandResult:
    """Run ``cmd`` once (deciding again, up to :data:`STALE_READ_ATTEMPTS` times, if a body it
    relied on changed before it committed), as ``options`` say."""
    digest = request_hash(cmd)
    for attempt in range(1, STALE_READ_ATTEMPTS + 1):
        try:
            return await _decide_and_append(cmd, ctx, uow_factory, positions, digest, options)
        except StaleRead:
            if attempt == STALE_READ_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _decide_and_append(
    cmd: AnyCommand,
    ctx: Context,
    uow_factory: Callable[[], UnitOfWork],
    positions: PositionSource,
    digest: str,
    options: SubmitOptions,
) -> CommandResult:
    idempotency_key = options.idempotency_key
    try:
        async with uow_factory() as uow:
            kept = await uow.prepare(reads(cmd), [idempotency_key] if idempotency_key else [])
            if idempotency_key and (stored := kept.get(idempotency_key)):
                return await replay(stored, digest, positions)
            events = await handle(cmd, ctx, uow)
            check_expected_version(events, options.expected_version)
            await uow.events.append(events)
            if idempotency_key:
                await uow.idempotency.put(
                    idempotency_key, StoredResponse(digest, 201, describe(events))
                )
            await uow.commit()
    except StaleRead:
        raise
    except (ConcurrencyConflict, DomainRuleViolated):
        # A concurrent retry of the same request may have committed between our look-up and our
        # decision: its events then conflict with ours, or make ours break a rule
        # ("already registered"). Either way the stored answer is the one to give.
        if idempotency_key:
            async with uow_factory() as uow:
                if stored := await uow.idempotency.get(idempotency_key):
                    return await replay(stored, digest, positions)
        raise
    return await _with_positions(describe(events), positions, replayed=False)


async def replay(stored: StoredResponse, digest: str, positions: PositionSource) -> CommandResult:
    """The first answer given for an Idempotency-Key, if it was for this request (``digest``)."""
    if stored.request_hash != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    return await _with_positions(stored.body, positions, replayed=True)


def check_expected_version(events: list[DomainEvent], expected_version: int | None) -> None:
    if expected_version is None or not events:
        return
    current = events[0].stream_version - 1
    if current != expected_version:
        raise PreconditionFailed(
            f"stream {events[0].stream_id!r} is at version {current}, not {expected_version}"
        )
