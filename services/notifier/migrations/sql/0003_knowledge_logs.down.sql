-- Back to revision 0002's knowledge tables, empty (they are derived; that code learns again
-- from the events it consumes from then on).
CREATE TABLE {schema}.organisations (
    organisation_id text PRIMARY KEY,
    parent_id text,
    accountable_to_id text,
    dissolved boolean NOT NULL DEFAULT false,
    successor_ids text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE {schema}.recommendations (
    recommendation_id text PRIMARY KEY,
    lead_ids text[] NOT NULL,
    supporting_ids text[] NOT NULL
);
CREATE TABLE {schema}.holders (
    responsibility_id text PRIMARY KEY,
    holder_id text NOT NULL
);
CREATE TABLE {schema}.owners (
    action_id text PRIMARY KEY,
    owner_id text NOT NULL
);
DROP TABLE {schema}.knowledge_rebuild;
DROP TABLE {schema}.knowledge;
