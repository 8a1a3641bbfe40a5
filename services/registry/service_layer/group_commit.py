"""Group commit: the commands that arrive while a batch is being written go together in the next.

A batch is one unit of work: one read of everything its commands declared (and of the answers
kept for their Idempotency-Keys), each command decided in arrival order against what the
earlier ones in the batch appended, one append statement, one commit, one wait for positions.
Nothing waits for a batch to fill: a command that finds no batch being written starts one.

Some commands run alone (:func:`run_command`) and get exactly the answer they would have had
without batching: those that lock exclusively (merging, dissolving, the amendments); every
command of a batch whose append a concurrent writer made stale; and, after the batch, those
whose decision failed while they carried an Idempotency-Key (a concurrent retry may have
stored the answer to give) or repeated a key an earlier command of the batch used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from schemas.envelope import DomainEvent
from services.registry.domain.commands import AnyCommand
from services.registry.domain.context import Context
from services.registry.errors import ConcurrencyConflict, IdempotencyKeyReused, StaleRead
from services.registry.service_layer.command_runner import (
    NO_OPTIONS,
    CommandResult,
    SubmitOptions,
    answer,
    check_expected_version,
    describe,
    event_ids,
    request_hash,
    run_command,
)
from services.registry.service_layer.handlers import handle, reads
from services.registry.service_layer.ports import (
    EventStore,
    IdempotencyStore,
    PositionSource,
    Reads,
    ScopedKey,
    StoredResponse,
    UnitOfWork,
)


@dataclass(eq=False)
class _Waiting:
    """One command in a batch, and what the batch made of it."""

    cmd: AnyCommand
    ctx: Context
    options: SubmitOptions
    future: asyncio.Future[CommandResult]
    declared: Reads
    digest: str = field(init=False)
    kept: StoredResponse | None = None
    """The answer stored for its key (the first time, or a replay)."""
    replayed: bool = False

    def __post_init__(self) -> None:
        self.digest = request_hash(self.cmd)
        # A caller that went away leaves its answer unread: not an error to log.
        self.future.add_done_callback(lambda f: f.cancelled() or f.exception())

    @property
    def key(self) -> ScopedKey | None:
        return self.options.idempotency_key

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


class _BatchEvents:
    """The event store as one command of a batch sees it: what is stored, then what the
    commands before it in the batch appended."""

    def __init__(self, stored: EventStore, staged: dict[str, list[DomainEvent]]) -> None:
        self._stored = stored
        self._staged = staged

    async def load(self, stream_id: str) -> list[DomainEvent]:
        return [*await self._stored.load(stream_id), *self._staged.get(stream_id, ())]

    async def lock(self, shared: Iterable[str] = (), exclusive: Iterable[str] = ()) -> None:
        await self._stored.lock(shared, exclusive)

    async def streams_naming(self, entity_id: str, prefixes: tuple[str, ...]) -> list[str]:
        return await self._stored.streams_naming(entity_id, prefixes)

    async def locate(self, event_id: UUID) -> tuple[str, int] | None:
        return await self._stored.locate(event_id)

    async def append(self, events: Sequence[DomainEvent]) -> None:
        await self._stored.append(events)
        for event in events:
            self._staged.setdefault(event.stream_id, []).append(event)


class _BatchView:
    """The unit of work a handler gets inside a batch: the batch's, seen through
    :class:`_BatchEvents`; the batch, not the handler, prepares and commits."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._events = _BatchEvents(uow.events, {})

    @property
    def events(self) -> _BatchEvents:
        return self._events

    @property
    def idempotency(self) -> IdempotencyStore:
        return self._uow.idempotency

    async def __aenter__(self) -> _BatchView:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def prepare(
        self, reads: Reads, idempotency_keys: Sequence[ScopedKey] = ()
    ) -> dict[ScopedKey, StoredResponse]:
        raise RuntimeError("a batch reads for all its commands at once")

    async def commit(self) -> None:
        raise RuntimeError("a batch commits for all its commands at once")


def _together(declared: Iterable[Reads]) -> Reads:
    streams: dict[str, None] = {}
    shared: dict[str, None] = {}
    for one in declared:
        streams.update(dict.fromkeys(one.streams))
        shared.update(dict.fromkeys(one.shared))
    return Reads(tuple(streams), tuple(shared))


class GroupCommit:
    """Runs commands, batching those that can be (see the module docstring). One batch is
    written at a time; its positions are awaited while the next one is decided."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        positions: PositionSource,
        max_batch: int = 64,
        observe_batch: Callable[[int], None] = lambda size: None,
    ) -> None:
        """``observe_batch`` is told the size of every batch written (a metric)."""
        self._observe_batch = observe_batch
        self._uow_factory = uow_factory
        self._positions = positions
        self._max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(
        self,
        cmd: AnyCommand,
        ctx: Context,
        options: SubmitOptions = NO_OPTIONS,
    ) -> CommandResult:
        declared = reads(cmd)
        if declared.exclusive or self._max_batch <= 1:
            return await run_command(cmd, ctx, self._uow_factory, self._positions, options)
        future = asyncio.get_running_loop().create_future()
        waiting = _Waiting(cmd, ctx, options, future, declared)
        self._queue.append(waiting)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_queued())
        # The batch goes on if this caller goes away: its command may already be committed.
        return await asyncio.shield(waiting.future)

    async def _write_queued(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                try:
                    await self._write(batch)
                except Exception as exc:  # a defect here must not strand the batch's callers
                    for waiting in batch:
                        waiting.fail(exc)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Waiting]) -> None:
        self._observe_batch(len(batch))
        alone: list[_Waiting] = []
        try:
            decided = await self._decide_and_append(batch, alone)
        except (StaleRead, ConcurrencyConflict):
            # A concurrent writer got there first: decide each command again, alone.
            decided, alone = [], [w for w in batch if not w.future.done()]
        except Exception as exc:  # the database failed the batch: every command in it failed
            for waiting in batch:
                waiting.fail(exc)
            return
        self._spawn(self._answer(decided))
        for waiting in alone:
            self._spawn(self._alone(waiting))

    async def _decide_and_append(
        self, batch: list[_Waiting], alone: list[_Waiting]
    ) -> list[_Waiting]:
        """Decide each command of ``batch`` and append what they decided in one commit; return
        those to answer (appended or replayed), put in ``alone`` those to run alone after."""
        keys = [w.key for w in batch if w.key is not None]
        decided: list[_Waiting] = []
        async with self._uow_factory() as uow:
            kept = await uow.prepare(_together(w.declared for w in batch), keys)
            view = _BatchView(uow)
            used: set[ScopedKey] = set()
            for waiting in batch:
                if waiting.key in used:
                    alone.append(waiting)  # it replays (or is refused) after the first commits
                    continue
                if waiting.key is not None:
                    used.add(waiting.key)
                    if (stored := kept.get(waiting.key)) is not None:
                        waiting.kept, waiting.replayed = stored, True
                        decided.append(waiting)
                        continue
                try:
                    events = await handle(waiting.cmd, waiting.ctx, view)
                    check_expected_version(events, waiting.options.expected_version)
                except Exception as exc:
                    if waiting.key is not None:
                        alone.append(waiting)
                    else:
                        waiting.fail(exc)
                    continue
                await view.events.append(events)
                waiting.kept = StoredResponse(waiting.digest, 201, describe(events))
                if waiting.key is not None:
                    await uow.idempotency.put(waiting.key, waiting.kept)
                decided.append(waiting)
            await uow.commit()
        return decided

    async def _answer(self, decided: list[_Waiting]) -> None:
        """Wait for the positions of every decided command's events (one wait), then answer."""
        ids = [i for w in decided if w.kept is not None for i in event_ids(w.kept.body)]
        try:
            found = await self._positions.positions_of(ids) if ids else {}
        except Exception as exc:
            for waiting in decided:
                waiting.fail(exc)
            return
        for waiting in decided:
            if waiting.future.done() or waiting.kept is None:
                continue
            if waiting.replayed and waiting.kept.request_hash != waiting.digest:
                waiting.fail(
                    IdempotencyKeyReused("this Idempotency-Key was used for a different request")
                )
                continue
            waiting.future.set_result(answer(waiting.kept.body, found, waiting.replayed))

    async def _alone(self, waiting: _Waiting) -> None:
        try:
            result = await run_command(
                waiting.cmd, waiting.ctx, self._uow_factory, self._positions, waiting.options
            )
        except Exception as exc:
            waiting.fail(exc)
        else:
            if not waiting.future.done():
                waiting.future.set_result(result)

    def _spawn(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every command handed in so far has its answer (for shutdown)."""
        while self._writer is not None or self._tasks:
            await asyncio.gather(
                *(t for t in [self._writer, *self._tasks] if t is not None),
                return_exceptions=True,
            )
