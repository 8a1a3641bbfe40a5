"""Deliver one claimed job: send, then record the attempt and what follows from it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from services.common.wording.alerts import Context
from services.notifier.domain import messages
from services.notifier.domain.outcome import Outcome
from services.notifier.domain.retry import RetryPolicy
from services.notifier.service_layer.ports import (
    AlertContexts,
    ClaimedJob,
    EmailSender,
    JobStore,
    NoAlertContext,
    Result,
    SubscriptionStore,
    WebhookSender,
)

log = structlog.get_logger(__name__)


@dataclass
class Delivery:
    """Everything a worker needs; built once by bootstrap."""

    jobs: JobStore
    subscriptions: SubscriptionStore
    webhooks: WebhookSender
    email: EmailSender
    policy: RetryPolicy
    disable_after: timedelta
    ops_email: str | None = None
    contexts: AlertContexts = field(default_factory=NoAlertContext)
    pages_base_url: str = "http://127.0.0.1:8004"
    """Where the alerts' links point (``REMIT_PAGES_BASE_URL``)."""

    async def message(self, job: ClaimedJob) -> messages.Message:
        """The alert (payload version 2 and e-mail) of a job, said with what is known now."""
        try:
            context = await self.contexts.context(job.event, job.organisation_id)
        except Exception:  # words around the event are not worth an alert: said with ids
            log.warning("alert_context_failed", webhook_id=job.webhook_id, exc_info=True)
            context = Context()
        return messages.message(
            job.event,
            job.position,
            job.organisation_id,
            job.reasons,
            context,
            self.pages_base_url,
        )

    async def send(self, job: ClaimedJob) -> Outcome:
        webhook = job.url if job.channel == "webhook" else None
        email = job.email if job.channel == "email" else None
        if not (webhook or email):
            return Outcome("error", error="subscription has no target")
        message = await self.message(job)
        if webhook:
            return await self.webhooks.send(webhook, job.webhook_id, message.text, job.secrets)
        assert email is not None
        return await self.email.send(
            email,
            message.email_subject,
            message.email_text,
            message.email_html,
            job.webhook_id,
        )

    def result(self, job: ClaimedJob, outcome: Outcome, started: datetime, ms: float) -> Result:
        if outcome.delivered:
            return Result(
                started, ms, outcome.status_code, "delivered", None, None, "delivered", "ok"
            )
        if outcome.gone:
            return Result(
                started, ms, outcome.status_code, "gone", outcome.error, started, "pending", "gone"
            )
        delay = self.policy.next_delay(job.tries, outcome.retry_after)
        next_at = None if delay is None else started + timedelta(seconds=delay)
        status = "dead" if next_at is None else "pending"
        return Result(
            started,
            ms,
            outcome.status_code,
            outcome.label,
            outcome.error,
            next_at,
            status,
            "failing",
        )

    async def deliver(self, job: ClaimedJob) -> Result:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        outcome = await self.send(job)
        result = self.result(job, outcome, started, (time.perf_counter() - clock) * 1000)
        disabled = await self.jobs.finish(job, result, self.disable_after)
        log.info(
            "delivery_attempt",
            correlation_id=job.event.get("correlation_id"),
            webhook_id=job.webhook_id,
            job_id=str(job.id),
            subscription_id=str(job.subscription_id),
            attempt=job.attempt,
            outcome=result.outcome,
            status_code=result.status_code,
            job_status=result.job_status,
        )
        if disabled:
            await self.tell_disabled(job, disabled)
        return result

    async def tell_disabled(self, job: ClaimedJob, reason: str) -> None:
        """Best effort: e-mail the organisation (or operations) that a subscription stopped."""
        to = await self.subscriptions.email_addresses(job.organisation_id)
        if not to and self.ops_email:
            to = [self.ops_email]
        text = (
            f"Remit disabled the webhook subscription {job.subscription_id} of "
            f"{job.organisation_id}: {reason}.\nNo alert is lost: deliveries wait until it is "
            f"enabled again (POST /v1/subscriptions/{job.subscription_id}/enable).\n"
        )
        for address in to:
            outcome = await self.email.send(address, "Remit: webhook subscription disabled", text)
            log.warning(
                "subscription_disabled",
                subscription_id=str(job.subscription_id),
                reason=reason,
                told=address,
                outcome=outcome.label,
            )
