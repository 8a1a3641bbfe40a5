DROP TRIGGER events_notify_appended ON {schema}.events;
DROP FUNCTION {schema}.notify_appended(), {schema}.positions_of(uuid[], integer, bigint),
    {schema}.sequence_batch(integer, bigint, boolean);
