"""What the notifier's use cases need from the outside world. Adapters implement it
(PostgreSQL: ``adapters/ingest_store.py``, ``job_store.py``, ``subscription_store.py``; HTTP:
``webhook.py``; SMTP: ``email.py``); unit tests use the fakes in
``tests/unit/notifier/fakes.py``, and the contract suites in ``tests/integration/notifier``
hold fakes and adapters to the same behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from schemas.envelope import DomainEvent
from schemas.wire import PositionedEvent
from services.common.dead_letters import DeadLetter
from services.common.wording.alerts import Context
from services.notifier.domain.filters import Rule
from services.notifier.domain.knowledge import Knowledge
from services.notifier.domain.outcome import Outcome
from services.notifier.domain.reasons import Reason

Row = dict[str, Any]
Alerts = dict[Rule, frozenset[Reason]]
"""The subscriptions an event must be delivered to, and why."""
Alerted = tuple[PositionedEvent, Alerts]


class IngestBatch(Protocol):
    """One transaction of the consumer: knowledge, events, jobs, checkpoint, dead letters."""

    async def checkpoint_and_knowledge(
        self, known: Knowledge, events: Iterable[PositionedEvent]
    ) -> int:
        """Lock the checkpoint (until the transaction ends) and return its position; add to
        ``known`` what resolving ``events`` needs, as stored."""
        ...

    async def knowledge(self, known: Knowledge, events: Iterable[PositionedEvent]) -> None:
        """Add to ``known`` what resolving ``events`` needs and it does not hold yet."""
        ...

    async def rules_for(self, organisations: Iterable[str]) -> list[Rule]:
        """Every subscription of these organisations, active or disabled (nothing is lost)."""
        ...

    async def write(
        self, checkpoint: int, changes: Knowledge, alerts: Sequence[Alerted], now: datetime
    ) -> None:
        """Store the changed knowledge, each alerted event with its jobs (an event or job
        already stored is left alone), and move the checkpoint."""
        ...

    def isolated(self) -> AbstractAsyncContextManager[None]:
        """A savepoint: what fails inside is rolled back alone, and the error propagates."""
        ...

    async def keep_dead_letters(self, letters: Iterable[DeadLetter]) -> tuple[DeadLetter, ...]:
        """Record them (and send them to the DLQ topic) before the commit; the new ones."""
        ...


class IngestStore(Protocol):
    def batch(self) -> AbstractAsyncContextManager[IngestBatch]: ...

    async def knowledge_to_rebuild(self) -> int | None:
        """The position through which knowledge must be rebuilt from the topic before
        consuming again (after an upgrade that changed its shape), or None."""
        ...

    async def replace_knowledge(self, known: Knowledge) -> None:
        """Store ``known`` as all there is to know, and that no rebuild is due."""
        ...


@dataclass(frozen=True)
class ClaimedJob:
    """A job in flight: what to send (the event, why, to whom) and the claim it holds."""

    id: uuid.UUID
    event: dict[str, Any]
    position: int
    reasons: tuple[str, ...]
    organisation_id: str
    subscription_id: uuid.UUID
    channel: str
    url: str | None
    email: str | None
    secrets: tuple[str, ...]
    webhook_id: str
    tries: int
    attempt: int
    lease_until: datetime
    """The claim token: the outcome is recorded only while this lease is still ours."""


@dataclass(frozen=True)
class Result:
    """One attempt, as recorded; ``job_status`` and ``effect`` are what it leads to."""

    started_at: datetime
    duration_ms: float
    status_code: int | None
    outcome: str
    error: str | None
    next_attempt_at: datetime | None
    job_status: str  # pending | delivered | dead
    effect: str  # ok | failing | gone


class JobStore(Protocol):
    async def claim_some(
        self, now: datetime, lease: timedelta, per_subscription: int, limit: int
    ) -> tuple[list[ClaimedJob], int]:
        """Up to ``limit`` due jobs of active subscriptions (at most ``per_subscription`` in
        flight each), in flight under a lease until ``now + lease``; and how many due jobs were
        left unclaimed."""
        ...

    async def finish(self, job: ClaimedJob, result: Result, disable_after: timedelta) -> str | None:
        """Record the attempt and settle the job if its lease is still ours; return a reason
        if this attempt disabled the subscription (410, or failing for ``disable_after``)."""
        ...


@dataclass(frozen=True, kw_only=True)
class DeliveryQuery:
    """Which deliveries a listing shows (None: any), at most ``limit`` of them: of one
    subscription, or by the event they carry."""

    limit: int
    subscription_id: uuid.UUID | None = None
    event_position: int | None = None
    event_id: uuid.UUID | None = None
    correlation_id: str | None = None


class SubscriptionStore(Protocol):
    async def add(self, row: Row) -> Row:
        """Store a subscription; the row returned also has ``starts_after``: the notifier's
        position when it was stored (every later event is matched against it; the check
        waits for a batch being ingested to end, so none is missed)."""
        ...

    async def position(self) -> int:
        """The notifier's position: every event up to it has been ingested."""
        ...

    async def knowledge_of(self, stream_id: str) -> tuple[DomainEvent, ...]:
        """The log the notifier keeps of a stream, as stored (empty: no event of it read)."""
        ...

    async def progress(self, sub_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
        """Per subscription with any delivery: ``first_undelivered`` (the lowest position of
        a delivery not delivered, or None), ``pending`` (pending or in flight), ``dead``,
        ``delivered`` (counts)."""
        ...

    async def get(self, sub_id: uuid.UUID, org: str | None) -> Row | None:
        """The subscription, if it exists and belongs to ``org`` (``None``: any, for admins)."""
        ...

    async def all(self, org: str | None) -> list[Row]: ...

    async def email_addresses(self, org: str) -> list[str]: ...

    async def delete(self, sub_id: uuid.UUID) -> None: ...

    async def rotate(
        self, sub_id: uuid.UUID, secret: str, previous_until: datetime, now: datetime
    ) -> Row: ...

    async def set_status(
        self, sub_id: uuid.UUID, status: str, reason: str | None, now: datetime
    ) -> Row:
        """Enable (resuming pending jobs now) or disable a subscription."""
        ...

    async def deliveries(self, org: str | None, query: DeliveryQuery) -> list[Row]:
        """Deliveries (oldest event first) with their attempts, ``event_type`` and
        ``correlation_id``; of ``org`` (None: any) and matching ``query``."""
        ...

    async def retry(self, job_id: uuid.UUID, org: str | None, now: datetime) -> Row | None:
        """Requeue one delivery now with a fresh retry schedule (unless it is in flight)."""
        ...

    async def job_owner(self, job_id: uuid.UUID) -> str | None: ...

    async def recover(self, sub_id: uuid.UUID, since: datetime, now: datetime) -> int:
        """Requeue every job of the subscription dead, or failing, since ``since``."""
        ...


class WebhookSender(Protocol):
    async def send(self, url: str, msg_id: str, body: str, secrets: Sequence[str]) -> Outcome: ...


class EmailSender(Protocol):
    async def send(
        self, to: str, subject: str, plain: str, html: str | None = None, msg_id: str = ""
    ) -> Outcome: ...


class AlertContexts(Protocol):
    async def context(self, event: Mapping[str, Any], recipient: str) -> Context:
        """What an alert about ``event`` to ``recipient`` says around it (names, the
        recommendation and its response, the announcement it settles), as known now."""
        ...


class NoAlertContext:
    """Says nothing around an event (bodies by id): for tests and tools that need none."""

    async def context(self, event: Mapping[str, Any], recipient: str) -> Context:
        return Context()


TargetCheck = Callable[[str], Awaitable[object]]
"""Raises ``ValueError`` (with the reason) if a webhook URL must not be called (SSRF)."""
