-- Revision 0004's append_command (revision 0005's downgrade puts it back in place).

-- What a command writes after deciding, in one statement:
--   shared_keys     locks to hold (shared) until commit, for a command run without a
--                   transaction: the bodies its decision relied on
--   read_versions   [{"stream_id", "version"}]: the version the decision saw of each of those
--                   streams; if one moved on meanwhile, SQLSTATE 40001 (decide again)
--   new_events      [event JSON, ...] in append order (each stored whole as the payload)
--   kept_answer     {"key", "request_hash", "status_code", "body"} for the Idempotency-Key,
--                   or null
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
    INSERT INTO {schema}.idempotency_keys (key, request_hash, status_code, body)
    SELECT answer.key, answer.request_hash, answer.status_code, answer.body
    FROM jsonb_to_record(kept_answer)
        AS answer(key text, request_hash text, status_code integer, body jsonb)
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
