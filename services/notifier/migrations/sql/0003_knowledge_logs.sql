-- Knowledge becomes, per stream, the log of the events resolving needs, as corrected: the
-- fixed facts of revision 0001 (organisations, recommendations, holders, owners) could follow
-- neither announcements nor corrections. They are derived data, so they are dropped; a
-- database that had consumed events records how far the logs must be rebuilt from the topic
-- (knowledge_rebuild), which the notifier does before it consumes again.
CREATE TABLE {schema}.knowledge (
    stream_id text PRIMARY KEY,
    events jsonb NOT NULL
);
CREATE TABLE {schema}.knowledge_rebuild (
    id int PRIMARY KEY CHECK (id = 1),
    through_position bigint NOT NULL
);
INSERT INTO {schema}.knowledge_rebuild
SELECT 1, position FROM {schema}.checkpoint WHERE position > 0;
DROP TABLE {schema}.organisations;
DROP TABLE {schema}.recommendations;
DROP TABLE {schema}.holders;
DROP TABLE {schema}.owners;
