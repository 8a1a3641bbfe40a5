-- The projections' control schema: which data schema readers use, and the dead letters (they
-- outlive rebuilds). IF NOT EXISTS: a schema created before these migrations is adopted as is.
-- The data schemas (<schema>_v<n>) are disposable and code-defined: see adapters/schema.py.

CREATE TABLE IF NOT EXISTS {schema}.active (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    data_schema text NOT NULL,
    version integer NOT NULL,
    switched_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    consumer text NOT NULL,
    source_topic text NOT NULL,
    source_partition integer NOT NULL,
    source_offset bigint NOT NULL,
    position bigint,
    reason text NOT NULL,
    record_key bytea,
    record_value bytea,
    record_headers jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by text,
    UNIQUE (kind, source_topic, source_partition, source_offset)
);
