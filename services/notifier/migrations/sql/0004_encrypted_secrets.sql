-- Webhook signing secrets are stored sealed (Fernet tokens, services/notifier/adapters/
-- secret_box.py; the revision's Python seals those already stored). A plain secret, which
-- Remit makes as 'whsec_...', is refused from now on: a writer that forgot to seal fails
-- loudly instead of leaving a secret readable in the table.
ALTER TABLE {schema}.subscriptions
    ADD CONSTRAINT subscriptions_secret_sealed CHECK (secret NOT LIKE 'whsec\_%'),
    ADD CONSTRAINT subscriptions_previous_secret_sealed
        CHECK (previous_secret NOT LIKE 'whsec\_%');
