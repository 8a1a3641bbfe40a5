"""Webhook signing secrets encrypted at rest (``adapters/secret_box.py``): every stored
``secret`` and ``previous_secret`` is sealed under the first of the keys the migration is given
(``REMIT_WEBHOOK_ENCRYPTION_KEYS``; without keys it refuses to run), and a check refuses plain
secrets from then on (sql/0004_encrypted_secrets.sql). The downgrade opens them again."""

from __future__ import annotations

from collections.abc import Callable

from alembic import context, op
from sqlalchemy import text

from services.common.migrations import run_script, schema
from services.notifier.adapters.secret_box import SecretBox
from services.notifier.migrations import SQL

revision = "0004"
down_revision = "0003"


def _box() -> SecretBox:
    keys = context.config.attributes.get("encryption_keys")
    if not keys:
        raise RuntimeError(
            "revision 0004 encrypts the webhook signing secrets and needs the keys:"
            " set REMIT_WEBHOOK_ENCRYPTION_KEYS"
        )
    return SecretBox(list(keys))


def _convert(change: Callable[[str], str]) -> None:
    """Apply ``change`` to every stored secret, in one pass over the subscriptions."""
    bind = op.get_bind()
    rows = bind.execute(
        text(
            f"SELECT id, secret, previous_secret FROM {schema()}.subscriptions"
            " WHERE secret IS NOT NULL OR previous_secret IS NOT NULL FOR UPDATE"
        )
    ).all()
    changed = [
        {
            "id": sub_id,
            "secret": None if secret is None else change(secret),
            "previous": None if previous is None else change(previous),
        }
        for sub_id, secret, previous in rows
    ]
    if changed:
        bind.execute(
            text(
                f"UPDATE {schema()}.subscriptions SET secret = :secret,"
                " previous_secret = :previous WHERE id = :id"
            ),
            changed,
        )


def upgrade() -> None:
    _convert(_box().seal)
    run_script(SQL / "0004_encrypted_secrets.sql")


def downgrade() -> None:
    box = _box()
    run_script(SQL / "0004_encrypted_secrets.down.sql")
    _convert(box.open)
