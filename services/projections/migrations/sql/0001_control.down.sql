DROP TABLE {schema}.dead_letters, {schema}.active;
