-- The event store: append-only events, the sequencer's and the relay's checkpoints, and the
-- answers kept for Idempotency-Keys.

CREATE TABLE {schema}.events (
    id bigserial NOT NULL,
    stream_id text NOT NULL,
    stream_version integer NOT NULL CHECK (stream_version >= 1),
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    payload jsonb NOT NULL,
    recorded_at timestamptz NOT NULL,
    position bigint,
    CONSTRAINT events_pkey PRIMARY KEY (stream_id, stream_version),
    CONSTRAINT events_id_key UNIQUE (id),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_position_key UNIQUE (position),
    CONSTRAINT events_position_positive CHECK (position >= 1)
);

CREATE INDEX events_pending_idx ON {schema}.events (id) WHERE position IS NULL;

CREATE TABLE {schema}.sequencer_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position bigint NOT NULL
);
INSERT INTO {schema}.sequencer_state (last_position) VALUES (0);

CREATE TABLE {schema}.relay_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_published bigint NOT NULL
);
INSERT INTO {schema}.relay_state (last_published) VALUES (0);

CREATE TABLE {schema}.idempotency_keys (
    key text PRIMARY KEY,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Events are never changed or removed; the one update allowed is the sequencer's, which gives
-- an event its position once and touches nothing else.
CREATE FUNCTION {schema}.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.position IS NULL AND NEW.position IS NOT NULL
           AND (NEW.id, NEW.stream_id, NEW.stream_version, NEW.event_id, NEW.event_type,
                NEW.schema_version, NEW.payload, NEW.recorded_at)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.stream_id, OLD.stream_version, OLD.event_id, OLD.event_type,
                OLD.schema_version, OLD.payload, OLD.recorded_at) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are append-only: % refused on %.%',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING HINT = 'only the sequencer may set position, once, from NULL';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.events_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.events_append_only();
