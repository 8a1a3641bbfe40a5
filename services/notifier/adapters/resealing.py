"""Re-encrypting every stored webhook signing secret under the newest key, so that older keys
can be removed from ``REMIT_WEBHOOK_ENCRYPTION_KEYS`` (``python -m services.notifier
reencrypt-secrets``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notifier.adapters.secret_box import SecretBox, UnreadableSecret


@dataclass
class Resealed:
    resealed: int = 0
    """Secrets re-encrypted under the newest key."""
    current: int = 0
    """Secrets the newest key had already sealed."""
    unreadable: set[uuid.UUID] = field(default_factory=set)
    """Subscriptions with a secret no key opens, left as they were."""


async def reseal_all(engine: AsyncEngine, schema: str, box: SecretBox) -> Resealed:
    """One transaction, the subscriptions' rows locked: a secret rotated through the API
    meanwhile waits for it, and is sealed under the newest key anyway."""
    async with engine.begin() as conn:
        return await _reseal(conn, schema, box)


async def _reseal(conn: AsyncConnection, schema: str, box: SecretBox) -> Resealed:
    rows = await conn.execute(
        text(
            f"SELECT id, secret, previous_secret FROM {schema}.subscriptions"
            " WHERE secret IS NOT NULL OR previous_secret IS NOT NULL FOR UPDATE"
        )
    )
    done, changed = Resealed(), []
    for sub_id, *sealed in rows.all():
        new = [_resealed(value, box, done, sub_id) for value in sealed]
        if new != sealed:
            changed.append({"id": sub_id, "secret": new[0], "previous": new[1]})
    if changed:
        await conn.execute(
            text(
                f"UPDATE {schema}.subscriptions SET secret = :secret,"
                " previous_secret = :previous WHERE id = :id"
            ),
            changed,
        )
    return done


def _resealed(value: Any, box: SecretBox, done: Resealed, sub_id: uuid.UUID) -> Any:
    if value is None:
        return None
    if box.is_current(value):
        done.current += 1
        return value
    try:
        new = box.reseal(value)
    except UnreadableSecret:
        done.unreadable.add(sub_id)
        return value
    done.resealed += 1
    return new
