-- A command in two statements, its values passed by name: command_reads before the decision,
-- append_command after it. Replaces revision 0003's functions, which took parallel arrays.
--
-- Each statement of a plpgsql function takes a fresh snapshot under READ COMMITTED, so what
-- follows a lock sees whatever the lock's previous holder committed.
--
-- command_reads and append_command are in 0004_command_reads.sql and 0004_append_command.sql
-- (revision 0005's downgrade creates them again).

DROP FUNCTION {schema}.append_command(text[], text[], integer[], text[], integer[], uuid[],
    text[], integer[], text[], timestamptz[], text, text, integer, jsonb);
DROP FUNCTION {schema}.command_reads(text, text[], boolean[], text[]);

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
