-- Group commit: commands that arrive together are read, decided and appended together, so the
-- two statements of a command take any number of Idempotency-Keys and kept answers.
--
-- And no NOTIFY on append: a NOTIFY holds one lock, for the whole database, from the moment its
-- transaction starts to commit until the commit is flushed, so it made every append wait for
-- the previous one's WAL flush (no two commits could share one). Writers sequence their own
-- events after commit (positions_of), and sequence_batch's NOTIFY wakes the relay.

DROP TRIGGER events_notify_appended ON {schema}.events;
DROP FUNCTION {schema}.notify_appended();

-- What a batch of commands reads before deciding: the answers their callers kept for their
-- Idempotency-Keys (rows with no stream; callers[i] with idempotency_keys[i]), then, holding
-- the locks they declared, the events of the streams they declared.
DROP FUNCTION {schema}.command_reads(text, text, text[], text[], text[]);

CREATE FUNCTION {schema}.command_reads(
    callers text[], idempotency_keys text[], shared_keys text[], exclusive_keys text[],
    stream_ids text[]
) RETURNS TABLE (read_stream text, read_payload jsonb) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
        SELECT NULL::text, jsonb_build_object('caller', kept.caller, 'key', kept.key,
                                              'request_hash', kept.request_hash,
                                              'status_code', kept.status_code,
                                              'body', kept.body)
        FROM {schema}.idempotency_keys kept
        JOIN unnest(callers, idempotency_keys) AS asked(caller, key)
            ON kept.caller = asked.caller AND kept.key = asked.key;
    PERFORM {schema}.lock_streams(shared_keys, exclusive_keys);
    RETURN QUERY
        SELECT e.stream_id, e.payload FROM {schema}.events e
        WHERE e.stream_id = ANY(stream_ids) ORDER BY e.stream_id, e.stream_version;
END
$$;

-- What a batch writes after deciding, in one statement: kept_answers is a JSON array of
-- {"caller", "key", "request_hash", "status_code", "body"}; the rest as in revision 0005.
DROP FUNCTION {schema}.append_command(text[], jsonb, jsonb, jsonb);

CREATE FUNCTION {schema}.append_command(
    shared_keys text[], read_versions jsonb, new_events jsonb, kept_answers jsonb
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
    FROM jsonb_to_recordset(kept_answers)
        AS answer(caller text, key text, request_hash text, status_code integer, body jsonb);
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
