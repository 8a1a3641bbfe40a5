-- A command in two statements, its values passed by name: command_reads before the decision,
-- append_command after it. Replaces revision 0003's functions, which took parallel arrays.
--
-- Each statement of a plpgsql function takes a fresh snapshot under READ COMMITTED, so what
-- follows a lock sees whatever the lock's previous holder committed.

DROP FUNCTION {schema}.append_command(text[], text[], integer[], text[], integer[], uuid[],
    text[], integer[], text[], timestamptz[], text, text, integer, jsonb);
DROP FUNCTION {schema}.command_reads(text, text[], boolean[], text[]);

-- What a command reads before deciding: the answer kept for its Idempotency-Key (a row with no
-- stream), then, holding the locks it declared, the events of the streams it declared.
CREATE FUNCTION {schema}.command_reads(
    idempotency_key text, shared_keys text[], exclusive_keys text[], stream_ids text[]
) RETURNS TABLE (read_stream text, read_payload jsonb) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
        SELECT NULL::text, jsonb_build_object('request_hash', kept.request_hash,
                                              'status_code', kept.status_code,
                                              'body', kept.body)
        FROM {schema}.idempotency_keys kept WHERE kept.key = idempotency_key;
    PERFORM {schema}.lock_streams(shared_keys, exclusive_keys);
    RETURN QUERY
        SELECT e.stream_id, e.payload FROM {schema}.events e
        WHERE e.stream_id = ANY(stream_ids) ORDER BY e.stream_id, e.stream_version;
END
$$;

-- Take stream locks: each key once, exclusive if it is asked for both ways, all in key order
-- (two commands taking overlapping sets cannot deadlock).
CREATE FUNCTION {schema}.lock_streams(shared_keys text[], exclusive_keys text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    wanted record;
BEGIN
    FOR wanted IN
        SELECT lock_key, bool_or(exclusive) AS exclusive
        FROM (SELECT unnest(shared_keys) AS lock_key, false AS exclusive
              UNION ALL
              SELECT unnest(exclusive_keys), true) AS asked
        GROUP BY lock_key ORDER BY lock_key
    LOOP
        IF wanted.exclusive THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(wanted.lock_key, 0));
        ELSE
            PERFORM pg_advisory_xact_lock_shared(hashtextextended(wanted.lock_key, 0));
        END IF;
    END LOOP;
END
$$;

-- The first stream, of those a decision read (read_versions: [{"stream_id", "version"}]), that
-- has moved on since; NULL if none has.
CREATE FUNCTION {schema}.moved_stream(read_versions jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT seen.stream_id
    FROM jsonb_to_recordset(read_versions) AS seen(stream_id text, version integer)
    WHERE seen.version <> coalesce(
        (SELECT max(e.stream_version) FROM {schema}.events e WHERE e.stream_id = seen.stream_id),
        0)
    LIMIT 1
$$;

-- What a command writes after deciding, in one statement:
--   shared_keys     locks to hold (shared) until commit, for a command run without a
--                   transaction: the bodies its decision relied on
--   read_versions   [{"stream_id", "version"}]: the version the decision saw of each of those
--                   streams; if one moved on meanwhile, SQLSTATE 40001 (decide again)
--   new_events      [event JSON, ...] in append order (each stored whole as the payload)
--   kept_answer     {"key", "request_hash", "status_code", "body"} for the Idempotency-Key,
--                   or null
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
