-- Back to one global key: of the answers several callers kept under one key, the first kept
-- stays and the others are dropped (the events they describe stay, as every event does).

DROP FUNCTION {schema}.command_reads(text, text, text[], text[], text[]);

DELETE FROM {schema}.idempotency_keys kept
WHERE EXISTS (SELECT 1 FROM {schema}.idempotency_keys earlier
              WHERE earlier.key = kept.key
                AND (earlier.created_at, earlier.caller) < (kept.created_at, kept.caller));

ALTER TABLE {schema}.idempotency_keys
    DROP CONSTRAINT idempotency_keys_pkey,
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (key),
    DROP COLUMN caller;

-- Then revision 0004's command_reads and append_command (0004_command_reads.sql,
-- 0004_append_command.sql).
