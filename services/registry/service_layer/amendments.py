"""Handlers of the commands that amend what is recorded: an announced change takes effect or is
withdrawn; earlier records are corrected (retracted or replaced) by appending.

They run one at a time (an exclusive lock on :data:`SERIAL_LOCK`, in a transaction) and lock
every stream they touch exclusively once they know which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

from schemas.catalogue import named_ids
from schemas.changes import StagedChange
from schemas.corrections import effective, effective_slots
from schemas.envelope import DomainEvent
from schemas.streams import organisation_stream, parse
from services.registry.domain import settling
from services.registry.domain.commands import (
    AnyCommand,
    CorrectRecords,
    EventRef,
    RecordChangeInEffect,
    WithdrawChange,
)
from services.registry.domain.context import Context
from services.registry.domain.correcting import StreamCorrection, corrections
from services.registry.errors import DomainRuleViolated, UnknownEntity
from services.registry.service_layer.ports import UnitOfWork
from services.registry.service_layer.reading import (
    fold_for,
    holdings,
    load,
    organisations,
)

SERIAL_LOCK = "registry:amendments"
"""Taken exclusively by the commands that amend history, so that they run one at a time."""

Decide = Callable[[AnyCommand, Context, UnitOfWork], Awaitable[list[DomainEvent]]]


async def locate(uow: UnitOfWork, ref: EventRef) -> tuple[str, int]:
    """(stream id, stream version) of the event ``ref`` names, its stream locked exclusively."""
    if ref.event_id is not None:
        found = await uow.events.locate(ref.event_id)
        if found is None:
            raise UnknownEntity(f"no event {ref.event_id}")
        stream_id, version = found
    else:
        stream_id, version = str(ref.stream_id), int(ref.stream_version or 0)
    await uow.events.lock(exclusive=[stream_id])
    return stream_id, version


async def _announcement(uow: UnitOfWork, ref: EventRef) -> tuple[Any, StagedChange]:
    """The state of the announcement's stream, and the pending announcement ``ref`` names."""
    stream_id, version = await locate(uow, ref)
    event = effective_slots(await uow.events.load(stream_id)).get(version)
    if event is None or (ref.event_id is not None and event.event_id != ref.event_id):
        raise UnknownEntity(f"no event at {stream_id} v{version} (or it was corrected)")
    state = await load(uow, stream_id, fold_for(stream_id))
    return state, settling.pending_announcement(getattr(state, "pending", ()), event)


async def record_in_effect(
    cmd: RecordChangeInEffect, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    state, announcement = await _announcement(uow, cmd.announcement)
    named = [body for body, _ in settling.bodies_that_must_hold(announcement)]
    bodies = await organisations(uow, named)
    emptied = settling.leaves_nothing_held(announcement)
    if emptied is not None:
        await uow.events.lock(exclusive=[organisation_stream(emptied)])
    held = sorted(parse(s)[1] for s in await holdings(uow, emptied)) if emptied else []
    fold = fold_for(announcement.stream_id)
    return settling.take_effect(fold, state, announcement, bodies, held, cmd, ctx)


async def withdraw(cmd: WithdrawChange, ctx: Context, uow: UnitOfWork) -> list[DomainEvent]:
    state, announcement = await _announcement(uow, cmd.announcement)
    return settling.withdraw(fold_for(announcement.stream_id), state, announcement, cmd, ctx)


async def correct_records(
    cmd: CorrectRecords, ctx: Context, uow: UnitOfWork, *, decide: Decide
) -> list[DomainEvent]:
    """Retractions first; then each replacement, in stream-version order, decided against its
    stream as this correction leaves it just before the replaced event."""
    streams: dict[str, StreamCorrection] = {}

    async def touched(ref: EventRef) -> tuple[StreamCorrection, int]:
        stream_id, slot = await locate(uow, ref)
        if stream_id not in streams:
            streams[stream_id] = StreamCorrection(stream_id, await uow.events.load(stream_id))
        return streams[stream_id], slot

    for ref in cmd.retract:
        stream, slot = await touched(ref)
        stream.touch(slot)
        stream.retract.add(slot)
    located = [(await touched(r.event), r.with_command) for r in cmd.replace]
    for (stream, slot), command in sorted(located, key=lambda x: (x[0][0].stream_id, x[0][1])):
        old = stream.touch(slot)
        stream.replace[slot] = await _replacement(stream, slot, old, command, ctx, uow, decide)
    await _refuse_dangling(streams.values(), uow)
    return corrections(list(streams.values()), fold_for, cmd.reason, ctx)


async def _replacement(
    stream: StreamCorrection,
    slot: int,
    old: DomainEvent,
    command: AnyCommand,
    ctx: Context,
    uow: UnitOfWork,
    decide: Decide,
) -> DomainEvent:
    """The one event ``command`` records when decided at ``slot``, in that place."""
    nested = replace(ctx, source=command.source, occurred_at=command.occurred_at)
    view = cast(UnitOfWork, _AtSlot(uow, stream.stream_id, stream.prefix(slot)))
    events = await decide(command, nested, view)
    if len(events) != 1 or events[0].stream_id != stream.stream_id:
        raise DomainRuleViolated(
            f"a replacement of {stream.stream_id} v{slot} must record one event in that stream; "
            f"{type(command).__name__} records {', '.join(e.stream_id for e in events) or 'none'}"
        )
    return events[0].model_copy(update={"stream_version": slot})


async def _refuse_dangling(streams: Iterable[StreamCorrection], uow: UnitOfWork) -> None:
    """A body whose registration a correction takes away must not stay named elsewhere."""
    for stream in streams:
        kind, body = parse(stream.stream_id)
        if kind != "organisations" or stream.after():
            continue
        for other in await uow.events.streams_naming(body, ("",)):
            if other == stream.stream_id:
                continue
            corrected = {s.stream_id: s for s in streams}.get(other)
            events = (
                [e for _, e in sorted(corrected.after().items())]
                if corrected
                else effective(await uow.events.load(other))
            )
            if any(body in named_ids(e) for e in events):
                raise DomainRuleViolated(
                    f"{body!r} would no longer be registered but {other} still names it: "
                    "correct those events in the same command"
                )


class _AtSlot:
    """A unit of work that shows one stream as it stood before a slot (as corrected)."""

    def __init__(self, uow: UnitOfWork, stream_id: str, prefix: Sequence[DomainEvent]) -> None:
        self._uow, self._stream_id, self._prefix = uow, stream_id, list(prefix)
        self.events = self
        self.idempotency = uow.idempotency

    async def load(self, stream_id: str) -> list[DomainEvent]:
        if stream_id == self._stream_id:
            return list(self._prefix)
        return await self._uow.events.load(stream_id)

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        await self._uow.events.lock(shared, exclusive)

    async def streams_naming(self, entity_id: str, prefixes: tuple[str, ...]) -> list[str]:
        return await self._uow.events.streams_naming(entity_id, prefixes)

    async def locate(self, event_id: UUID) -> tuple[str, int] | None:
        return await self._uow.events.locate(event_id)

    async def append(self, events: Sequence[DomainEvent]) -> None:
        raise RuntimeError("a replacement is decided, not appended")
