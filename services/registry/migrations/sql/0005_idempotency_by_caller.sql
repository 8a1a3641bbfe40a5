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

-- What a command reads before deciding: the answer its caller kept for its Idempotency-Key (a
-- row with no stream), then, holding the locks it declared, the events of the streams it
-- declared.
DROP FUNCTION {schema}.command_reads(text, text[], text[], text[]);

CREATE FUNCTION {schema}.command_reads(
    caller text, idempotency_key text, shared_keys text[], exclusive_keys text[],
    stream_ids text[]
) RETURNS TABLE (read_stream text, read_payload jsonb) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
        SELECT NULL::text, jsonb_build_object('request_hash', kept.request_hash,
                                              'status_code', kept.status_code,
                                              'body', kept.body)
        FROM {schema}.idempotency_keys kept
        WHERE kept.caller = command_reads.caller AND kept.key = idempotency_key;
    PERFORM {schema}.lock_streams(shared_keys, exclusive_keys);
    RETURN QUERY
        SELECT e.stream_id, e.payload FROM {schema}.events e
        WHERE e.stream_id = ANY(stream_ids) ORDER BY e.stream_id, e.stream_version;
END
$$;

-- What a command writes after deciding, in one statement (arguments as in revision 0004, but
-- kept_answer is {"caller", "key", "request_hash", "status_code", "body"}).
CREATE OR REPLACE FUNCTION {schema}.append_command(
    shared_keys text[], read_versions jsonb, new_events jsonb, kept_answer jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    moved text;
BEGIN
    PERFORM {schema}.lock_streams(shared_keys, '{}');
    moved := {schema}.moved_stream(read_versions);  -- read after the locks: a fresh snapshot
    IF moved IS NOT NULL THEN
        RAISE EXCEPTION 'stream % changed after it was read', moved
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO {schema}.idempotency_keys (caller, key, request_hash, status_code, body)
    SELECT answer.caller, answer.key, answer.request_hash, answer.status_code, answer.body
    FROM jsonb_to_record(kept_answer)
        AS answer(caller text, key text, request_hash text, status_code integer, body jsonb)
    WHERE kept_answer IS NOT NULL;
    INSERT INTO {schema}.events (stream_id, stream_version, event_id, event_type,
                                 schema_version, payload, recorded_at)
    SELECT event.stream_id, event.stream_version, event.event_id, event.type,
           event.schema_version, item.payload, event.recorded_at
    FROM jsonb_array_elements(new_events) WITH ORDINALITY AS item(payload, append_order)
    CROSS JOIN LATERAL jsonb_to_record(item.payload) AS event(
        stream_id text, stream_version integer, event_id uuid, type text,
        schema_version integer, recorded_at timestamptz)
    ORDER BY item.append_order;
END
$$;
