-- A command in two statements (replaced by 0004_command_statements_by_name.sql, which passes
-- the same values by name instead of in parallel arrays; kept as revision 0003 ran it).

CREATE FUNCTION {schema}.append_command(
    lock_keys text[], checked_streams text[], checked_versions integer[],
    streams text[], versions integer[], ids uuid[], types text[],
    schema_versions integer[], payloads text[], recorded timestamptz[],
    idempotency_key text, request_hash text, status_code integer, body jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k text;
    stale text;
BEGIN
    FOR k IN SELECT DISTINCT u.k FROM unnest(lock_keys) AS u(k) ORDER BY u.k LOOP
        PERFORM pg_advisory_xact_lock_shared(hashtextextended(k, 0));
    END LOOP;
    SELECT c.s INTO stale FROM unnest(checked_streams, checked_versions) AS c(s, v)
    WHERE coalesce((SELECT max(e.stream_version) FROM {schema}.events e
                    WHERE e.stream_id = c.s), 0) <> c.v
    LIMIT 1;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION 'stream % changed after it was read', stale
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO {schema}.events (stream_id, stream_version, event_id, event_type,
                                 schema_version, payload, recorded_at)
    SELECT u.s, u.v, u.i, u.t, u.sv, u.p::jsonb, u.r
    FROM unnest(streams, versions, ids, types, schema_versions, payloads, recorded)
        WITH ORDINALITY AS u(s, v, i, t, sv, p, r, n)
    ORDER BY u.n;
    IF idempotency_key IS NOT NULL THEN
        INSERT INTO {schema}.idempotency_keys (key, request_hash, status_code, body)
        VALUES (idempotency_key, request_hash, status_code, body);
    END IF;
END
$$;

CREATE FUNCTION {schema}.command_reads(
    idempotency_key text, lock_keys text[], lock_exclusive boolean[], streams text[]
) RETURNS TABLE (read_stream text, read_payload jsonb) LANGUAGE plpgsql AS $$
DECLARE
    k text;
    x boolean;
BEGIN
    RETURN QUERY
        SELECT NULL::text, jsonb_build_object(
            'request_hash', i.request_hash, 'status_code', i.status_code, 'body', i.body)
        FROM {schema}.idempotency_keys i WHERE i.key = idempotency_key;
    FOR k, x IN
        SELECT u.k, u.x FROM unnest(lock_keys, lock_exclusive) AS u(k, x) ORDER BY u.k
    LOOP
        IF x THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(k, 0));
        ELSE
            PERFORM pg_advisory_xact_lock_shared(hashtextextended(k, 0));
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT e.stream_id, e.payload FROM {schema}.events e
        WHERE e.stream_id = ANY(streams) ORDER BY e.stream_id, e.stream_version;
END
$$;
