"""PostgreSQL: engine factory and the notifier's tables (created idempotently at start-up).

All tables live in one schema (``NotifierSettings.db_schema``). The DDL is applied under an
advisory lock with ``IF NOT EXISTS``: the notifier owns a handful of tables and no data that
cannot be rebuilt from the topic except subscriptions and delivery history.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.notifier.config import NotifierSettings


def create_engine(settings: NotifierSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_dsn,
        pool_size=settings.db_pool_size,
        pool_pre_ping=settings.db_pool_pre_ping,
    )


_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.checkpoint (
    id int PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
INSERT INTO {s}.checkpoint VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.events (
    event_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.organisations (
    organisation_id text PRIMARY KEY,
    parent_id text,
    accountable_to_id text,
    dissolved boolean NOT NULL DEFAULT false,
    successor_ids text[] NOT NULL DEFAULT '{{}}'
);
CREATE TABLE IF NOT EXISTS {s}.recommendations (
    recommendation_id text PRIMARY KEY,
    lead_ids text[] NOT NULL,
    supporting_ids text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.holders (
    responsibility_id text PRIMARY KEY,
    holder_id text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.owners (
    action_id text PRIMARY KEY,
    owner_id text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.subscriptions (
    id uuid PRIMARY KEY,
    organisation_id text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
    url text,
    email text,
    description text,
    event_types text[] NOT NULL DEFAULT '{{}}',
    reasons text[] NOT NULL DEFAULT '{{}}',
    include_oversight boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_reason text,
    secret text,
    previous_secret text,
    previous_secret_until timestamptz,
    failing_since timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_org ON {s}.subscriptions (organisation_id);
CREATE TABLE IF NOT EXISTS {s}.jobs (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES {s}.events,
    subscription_id uuid NOT NULL REFERENCES {s}.subscriptions ON DELETE CASCADE,
    webhook_id text NOT NULL,
    position bigint NOT NULL,
    organisation_id text NOT NULL,
    reasons text[] NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'in_flight', 'delivered', 'dead')),
    tries int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX IF NOT EXISTS jobs_due ON {s}.jobs (next_attempt_at)
    WHERE status IN ('pending', 'in_flight');
CREATE INDEX IF NOT EXISTS jobs_subscription ON {s}.jobs (subscription_id, status);
CREATE TABLE IF NOT EXISTS {s}.attempts (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES {s}.jobs ON DELETE CASCADE,
    attempt int NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    status_code int,
    outcome text NOT NULL,
    error text,
    next_attempt_at timestamptz
);
CREATE INDEX IF NOT EXISTS attempts_job ON {s}.attempts (job_id);
CREATE TABLE IF NOT EXISTS {s}.dead_letters (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    partition int NOT NULL,
    "offset" bigint NOT NULL,
    reason text NOT NULL,
    key bytea,
    value bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, "offset")
);
ALTER TABLE {s}.dead_letters ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'undecodable';
ALTER TABLE {s}.dead_letters ADD COLUMN IF NOT EXISTS position bigint;
ALTER TABLE {s}.dead_letters ADD COLUMN IF NOT EXISTS acknowledged_at timestamptz;
ALTER TABLE {s}.dead_letters ADD COLUMN IF NOT EXISTS acknowledged_by text;
"""


async def migrate(engine: AsyncEngine, schema: str) -> None:
    """Create the schema's tables if missing (serialised by an advisory lock)."""
    key = zlib.crc32(f"remit-notifier:{schema}".encode())
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        for statement in _DDL.format(s=schema).split(";\n"):
            if statement.strip():
                await conn.execute(text(statement))
