-- Back to one key per command and the append notification (revision 0005's functions).

DROP FUNCTION {schema}.command_reads(text[], text[], text[], text[], text[]);
DROP FUNCTION {schema}.append_command(text[], jsonb, jsonb, jsonb);

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
CREATE FUNCTION {schema}.append_command(
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

CREATE FUNCTION {schema}.notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('remit_appended', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify_appended AFTER INSERT ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_appended();
