DROP TABLE {schema}.dead_letters, {schema}.attempts, {schema}.jobs, {schema}.subscriptions,
    {schema}.owners, {schema}.holders, {schema}.recommendations, {schema}.organisations,
    {schema}.events, {schema}.checkpoint;
