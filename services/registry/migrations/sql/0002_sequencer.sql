-- Sequencing in one round trip (the append notification, in a trigger, is in
-- 0002_notify_appended.sql).

-- One sequencer batch: under the sequencer's lock, give the committed events without a
-- position the next positions in insertion order, move last_position, and tell listeners.
-- With wait = false it returns no row at once when another batch holds the lock.
CREATE FUNCTION {schema}.sequence_batch(lim integer, lock_key bigint, wait boolean)
RETURNS TABLE (assigned bigint, last_position bigint) LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    last bigint;
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock(lock_key);
    ELSIF NOT pg_try_advisory_xact_lock(lock_key) THEN
        RETURN;
    END IF;
    -- A position, once seen, must survive a crash: never commit this asynchronously.
    PERFORM set_config('synchronous_commit', 'on', true);
    WITH ready AS (
        SELECT e.id, row_number() OVER (ORDER BY e.id) AS k
        FROM {schema}.events e WHERE e.position IS NULL ORDER BY e.id LIMIT lim
    ), given AS (
        UPDATE {schema}.events e SET position = st.last_position + r.k
        FROM ready r, {schema}.sequencer_state st
        WHERE e.id = r.id
        RETURNING e.position
    )
    UPDATE {schema}.sequencer_state
    SET last_position = {schema}.sequencer_state.last_position + (SELECT count(*) FROM given)
    RETURNING (SELECT count(*) FROM given), {schema}.sequencer_state.last_position
    INTO n, last;
    IF n > 0 THEN
        PERFORM pg_notify('remit_sequenced', last::text);
    END IF;
    RETURN QUERY SELECT n, last;
END
$$;

-- The positions of some events; if any is still missing, run a batch first unless another
-- session is running one.
CREATE FUNCTION {schema}.positions_of(ids uuid[], lim integer, lock_key bigint)
RETURNS TABLE (event_id uuid, pos bigint) LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM {schema}.events e WHERE e.event_id = ANY(ids) AND e.position IS NULL
    ) THEN
        PERFORM * FROM {schema}.sequence_batch(lim, lock_key, false);
    END IF;
    RETURN QUERY
        SELECT e.event_id, e.position FROM {schema}.events e
        WHERE e.event_id = ANY(ids) AND e.position IS NOT NULL;
END
$$;
