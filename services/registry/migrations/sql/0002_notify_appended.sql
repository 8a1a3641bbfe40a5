-- The append notification: a trigger that tells listeners a statement appended events.
-- Revision 0002 creates it, 0006 drops it, 0006's downgrade creates it again.

CREATE FUNCTION {schema}.notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('remit_appended', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify_appended AFTER INSERT ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_appended();
