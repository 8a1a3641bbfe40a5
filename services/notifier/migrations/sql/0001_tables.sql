-- The notifier's tables as main 45e7b62 created them at every start, idempotently: a database
-- made before these migrations is adopted as is (IF NOT EXISTS), a new one gets the same.
-- Knowledge (organisations ... owners) and events can be rebuilt from the topic; subscriptions,
-- jobs and attempts cannot.

CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.checkpoint (
    id int PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
INSERT INTO {schema}.checkpoint VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {schema}.events (
    event_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.organisations (
    organisation_id text PRIMARY KEY,
    parent_id text,
    accountable_to_id text,
    dissolved boolean NOT NULL DEFAULT false,
    successor_ids text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS {schema}.recommendations (
    recommendation_id text PRIMARY KEY,
    lead_ids text[] NOT NULL,
    supporting_ids text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.holders (
    responsibility_id text PRIMARY KEY,
    holder_id text NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.owners (
    action_id text PRIMARY KEY,
    owner_id text NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.subscriptions (
    id uuid PRIMARY KEY,
    organisation_id text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
    url text,
    email text,
    description text,
    event_types text[] NOT NULL DEFAULT '{}',
    reasons text[] NOT NULL DEFAULT '{}',
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
CREATE INDEX IF NOT EXISTS subscriptions_org ON {schema}.subscriptions (organisation_id);
CREATE TABLE IF NOT EXISTS {schema}.jobs (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES {schema}.events,
    subscription_id uuid NOT NULL REFERENCES {schema}.subscriptions ON DELETE CASCADE,
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
CREATE INDEX IF NOT EXISTS jobs_due ON {schema}.jobs (next_attempt_at)
    WHERE status IN ('pending', 'in_flight');
CREATE INDEX IF NOT EXISTS jobs_subscription ON {schema}.jobs (subscription_id, status);
CREATE TABLE IF NOT EXISTS {schema}.attempts (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES {schema}.jobs ON DELETE CASCADE,
    attempt int NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    status_code int,
    outcome text NOT NULL,
    error text,
    next_attempt_at timestamptz
);
CREATE INDEX IF NOT EXISTS attempts_job ON {schema}.attempts (job_id);
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
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
ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'undecodable';
ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS position bigint;
ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS acknowledged_at timestamptz;
ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS acknowledged_by text;
