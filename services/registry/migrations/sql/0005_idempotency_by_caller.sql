-- Idempotency-Keys scoped by caller: the key of a kept answer is (caller, key), so the same key
-- from two callers is two requests and neither ever reads or replays the other's answer.
--
-- caller is the JSON array of the token's subject and, if the token has one, its organisation:
-- '["alice"]', '["alice", "acme"]' (services/registry/service_layer/ports.py, caller_scope).
--
-- Answers kept before this revision are given to the caller that made them: the subject their
-- events carry as `actor` (an event's actor is its token's subject). The organisation of that
-- token was never recorded, so they are scoped to the subject alone, '["<actor>"]'. An answer
-- whose events name no single actor (it lists no events, or events that are not stored) is
-- scoped to '[]', a caller no token can be: it stays for the record, and nobody replays it.

ALTER TABLE {schema}.idempotency_keys ADD COLUMN caller text;

UPDATE {schema}.idempotency_keys kept SET caller = coalesce(
    (SELECT CASE WHEN count(DISTINCT e.payload->>'actor') = 1
                 THEN jsonb_build_array(min(e.payload->>'actor'))::text END
     FROM jsonb_array_elements(
              CASE jsonb_typeof(kept.body->'events') WHEN 'array' THEN kept.body->'events'
                                                     ELSE '[]' END) AS listed(item)
     JOIN {schema}.events e ON e.event_id = CASE
         WHEN listed.item->>'event_id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
         THEN (listed.item->>'event_id')::uuid END),
    '[]');

ALTER TABLE {schema}.idempotency_keys
    ALTER COLUMN caller SET NOT NULL,
    DROP CONSTRAINT idempotency_keys_pkey,
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, key);

-- command_reads takes the caller (0005_command_reads.sql), kept answers are stored with theirs
-- (0005_append_command.sql).
DROP FUNCTION {schema}.command_reads(text, text[], text[], text[]);
