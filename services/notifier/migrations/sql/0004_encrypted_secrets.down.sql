ALTER TABLE {schema}.subscriptions
    DROP CONSTRAINT subscriptions_secret_sealed,
    DROP CONSTRAINT subscriptions_previous_secret_sealed;
