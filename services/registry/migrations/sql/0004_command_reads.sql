-- Revision 0004's command_reads (revision 0005's downgrade creates it again).

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
