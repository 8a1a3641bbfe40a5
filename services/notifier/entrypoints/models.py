"""Request and response models of the subscriptions and deliveries API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from services.notifier.domain.reasons import Reason

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)]


class SubscriptionOptions(BaseModel):
    """What every subscription may say, whatever its channel."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Only these event types (`*` wildcards, e.g. `Responsibility*`); none: all.",
    )
    reasons: list[Reason] = Field(
        default_factory=list, description="Only alerts for these reasons; none: all."
    )
    include_oversight: bool = Field(
        default=False, description="Also alerts about the bodies this one oversees."
    )
    organisation_id: str | None = Field(
        default=None,
        description="The subscribing body; only an admin token may name another than its own.",
    )
    await_registration: bool = Field(
        default=False,
        description="Subscribe a body the notifier has not read the registration of yet "
        "(`organisation_known: false` until it has). Without it, such a request is refused "
        "with 422, so that a mistyped id is not silently never alerted.",
    )


class WebhookSubscriptionCreate(SubscriptionOptions):
    channel: Literal["webhook"]
    url: AnyHttpUrl = Field(
        description="Where alerts are POSTed, signed (Standard Webhooks). Its host must resolve "
        "to public addresses only; `https://` in production."
    )
    email: None = None


class EmailSubscriptionCreate(SubscriptionOptions):
    channel: Literal["email"]
    email: Email
    url: None = None


SubscriptionCreate = Annotated[
    WebhookSubscriptionCreate | EmailSubscriptionCreate, Field(discriminator="channel")
]


class SubscriptionProgress(BaseModel):
    """How far the subscription's alerts have gone, in global positions."""

    considered_through: int = Field(
        description="The notifier's position: every event up to it (and after the "
        "subscription's `starts_after`) has been matched against the subscription."
    )
    delivered_through: int = Field(
        description="Every delivery of this subscription for an event up to here is "
        "delivered (the one after it is pending, or dead)."
    )
    pending: int = Field(description="Deliveries waiting for an attempt, or in flight.")
    dead: int = Field(description="Deliveries given up on (see `recover`).")
    delivered: int


class SubscriptionPublic(BaseModel):
    id: UUID
    organisation_id: str
    organisation_known: bool = Field(
        description="Whether the notifier has read the body's registration (false only for "
        "a subscription made with `await_registration`)."
    )
    channel: Literal["webhook", "email"]
    url: str | None
    email: str | None
    description: str | None
    event_types: list[str]
    reasons: list[str]
    include_oversight: bool
    status: Literal["active", "disabled"]
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime
    progress: SubscriptionProgress


class SubscriptionCreated(SubscriptionPublic):
    secret: str | None = Field(description="Shown once: the webhook signing secret.")
    starts_after: int = Field(
        description="The notifier's position when the subscription was stored: alerts are "
        "planned for every event after it."
    )


class RotateSecret(BaseModel):
    overlap_seconds: float | None = Field(default=None, ge=0, le=30 * 24 * 3600)


class SecretRotated(BaseModel):
    subscription: SubscriptionPublic
    secret: str
    previous_secret_valid_until: datetime


class AttemptPublic(BaseModel):
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    started_at: datetime
    duration_ms: float
    next_attempt_at: datetime | None


class DeliveryPublic(BaseModel):
    id: UUID
    subscription_id: UUID
    webhook_id: str = Field(description="The `webhook-id` header (the same on every retry).")
    event_id: UUID
    event_type: str
    position: int = Field(description="The event's global position.")
    correlation_id: str | None = Field(description="The event's correlation id.")
    organisation_id: str
    reasons: list[str]
    status: Literal["pending", "in_flight", "delivered", "dead"]
    next_attempt_at: datetime
    last_error: str | None
    attempts: list[AttemptPublic]


class Recovered(BaseModel):
    requeued: int


class RetryQueued(BaseModel):
    id: UUID
    status: str
