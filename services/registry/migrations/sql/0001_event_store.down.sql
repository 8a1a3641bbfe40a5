DROP TABLE {schema}.idempotency_keys, {schema}.relay_state, {schema}.sequencer_state,
    {schema}.events;
DROP FUNCTION {schema}.events_append_only();
