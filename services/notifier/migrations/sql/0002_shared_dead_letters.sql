-- The dead letters take the shape every consumer shares (services/common/dead_letters.py):
-- the same column names as the projections', the record's headers, the consumer, and one row
-- per kind of anomaly per record. Existing rows are kept; their consumer is set by the revision.

ALTER TABLE {schema}.dead_letters RENAME COLUMN topic TO source_topic;
ALTER TABLE {schema}.dead_letters RENAME COLUMN partition TO source_partition;
ALTER TABLE {schema}.dead_letters RENAME COLUMN "offset" TO source_offset;
ALTER TABLE {schema}.dead_letters RENAME COLUMN key TO record_key;
ALTER TABLE {schema}.dead_letters RENAME COLUMN value TO record_value;
ALTER TABLE {schema}.dead_letters ADD COLUMN consumer text;
ALTER TABLE {schema}.dead_letters ADD COLUMN record_headers jsonb NOT NULL DEFAULT '[]';
ALTER TABLE {schema}.dead_letters ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE {schema}.dead_letters DROP CONSTRAINT dead_letters_topic_partition_offset_key;
ALTER TABLE {schema}.dead_letters ADD CONSTRAINT dead_letters_record_kind_key
    UNIQUE (kind, source_topic, source_partition, source_offset);
