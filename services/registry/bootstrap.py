"""Wires the registry: engine, unit of work, sequencer, feed, and (optionally) the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import Caller
from services.common.observability import current_correlation_id
from services.registry import metrics
from services.registry.adapters.db import Tables, create_engine
from services.registry.adapters.event_store import EventFeed
from services.registry.adapters.sequencer import PostgresPositionSource
from services.registry.adapters.unit_of_work import SqlAlchemyUnitOfWork
from services.registry.config import RegistrySettings
from services.registry.domain.commands import AnyCommand
from services.registry.domain.context import Context
from services.registry.service_layer.command_runner import NO_OPTIONS, CommandResult, SubmitOptions
from services.registry.service_layer.group_commit import GroupCommit

log = structlog.get_logger(__name__)


@dataclass
class Registry:
    """The registry's wired parts; the HTTP layer only calls :meth:`submit` and :attr:`feed`."""

    settings: RegistrySettings
    engine: AsyncEngine
    tables: Tables
    feed: EventFeed
    positions: PostgresPositionSource
    commands: GroupCommit
    background: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, self.tables)

    async def submit(
        self,
        cmd: AnyCommand,
        caller: Caller,
        options: SubmitOptions = NO_OPTIONS,
        correlation_id: str | None = None,
    ) -> CommandResult:
        ctx = Context(
            actor=caller.subject,
            correlation_id=correlation_id or current_correlation_id() or str(uuid4()),
            now=datetime.now(UTC),
            source=cmd.source,
            occurred_at=cmd.occurred_at,
        )
        name = type(cmd).__name__
        try:
            result = await self.commands.run(cmd, ctx, options)
        except Exception as exc:
            metrics.COMMANDS.labels(name, type(exc).__name__).inc()
            raise
        metrics.COMMANDS.labels(name, "replayed" if result.replayed else "accepted").inc()
        if not result.replayed:
            for event in result.events:
                metrics.EVENTS_APPENDED.labels(event.event_type).inc()
        log.info(
            "command_accepted",
            command=name,
            replayed=result.replayed,
            events=[
                (e.event_type, e.stream_id, e.stream_version, e.position) for e in result.events
            ],
        )
        return result

    async def readiness(self) -> dict[str, str]:
        """Problems that make this instance unfit to serve; empty when ready."""
        problems: dict[str, str] = {}
        try:
            async with self.engine.connect() as connection:
                head = await connection.scalar(
                    text(f"SELECT last_position FROM {self.tables.sequencer_state}")
                )
                published = await connection.scalar(
                    text(f"SELECT last_published FROM {self.tables.relay_state}")
                )
        except Exception as exc:  # any failure here means "not ready", with the reason
            problems["database"] = f"{type(exc).__name__}: {exc}"
            return problems
        metrics.HEAD_POSITION.set(head or 0)
        metrics.OUTBOX_BACKLOG.set((head or 0) - (published or 0))
        dead = [t for t in self.background if t.done()]
        if dead and not self.stopping.is_set():
            problems["relay"] = "the in-process outbox relay has stopped"
        return problems

    async def close(self) -> None:
        await self.commands.drain()
        self.stopping.set()
        for task in self.background:
            task.cancel()
        for task in self.background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.engine.dispose()


def bootstrap(settings: RegistrySettings | None = None) -> Registry:
    settings = settings or RegistrySettings()
    engine = create_engine(settings)
    tables = Tables(settings.db_schema)
    positions = PostgresPositionSource(
        engine,
        tables,
        timeout_s=settings.sequencing_timeout_s,
        retry_s=settings.sequencing_retry_s,
        batch_size=settings.sequencer_batch_size,
    )
    return Registry(
        settings=settings,
        engine=engine,
        tables=tables,
        feed=EventFeed(engine, tables),
        positions=positions,
        commands=GroupCommit(
            lambda: SqlAlchemyUnitOfWork(engine, tables),
            positions,
            settings.group_commit_max,
            metrics.BATCH_COMMANDS.observe,
        ),
    )


async def start_relay(registry: Registry) -> None:
    """Run the outbox relay inside this process (several processes may do so safely)."""
    from services.registry.adapters.relay import run_relay

    registry.background.append(asyncio.create_task(run_relay(registry.settings, registry.stopping)))
