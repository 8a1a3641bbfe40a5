"""Webhook signing secrets encrypted at rest (issue 16, item 2): a dump of every table of the
notifier holds no secret; rotating the encryption key re-encrypts them all and deliveries stay
signed with the same secrets (checked with the Standard Webhooks library); a secret no
configured key opens is never replaced by sending unsigned."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook

from infra.settings import REPO_ROOT
from services.notifier.adapters.secret_box import SecretBox, UnreadableSecret, new_key
from services.notifier.config import NotifierSettings
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration
NHSI = "nhs-improvement"


async def dump(settings: NotifierSettings) -> str:
    """Every row of every table of the notifier's schema, as text (``SELECT *`` of each)."""
    engine = create_async_engine(settings.database_dsn)
    rows: list[str] = []
    try:
        async with engine.connect() as conn:
            tables = await conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": settings.db_schema},
            )
            names = sorted(tables.scalars())
            assert {"subscriptions", "jobs", "attempts"} <= set(names)
            for name in names:
                got = await conn.execute(
                    text(f'SELECT to_jsonb(t)::text FROM {settings.db_schema}."{name}" t')
                )
                rows += [f"{name}: {row}" for row in got.scalars()]
    finally:
        await engine.dispose()
    return "\n".join(rows)


async def stored_secrets(settings: NotifierSettings) -> list[str]:
    engine = create_async_engine(settings.database_dsn)
    try:
        async with engine.connect() as conn:
            got = await conn.execute(
                text(
                    f"SELECT s FROM {settings.db_schema}.subscriptions,"
                    " unnest(ARRAY[secret, previous_secret]) AS s WHERE s IS NOT NULL"
                )
            )
            return [str(s) for s in got.scalars()]
    finally:
        await engine.dispose()


def forms(secret: str) -> list[str]:
    """How a secret could show: as given, without its prefix, or its key bytes' base64."""
    body = secret.removeprefix("whsec_")
    return [secret, body, body.rstrip("=")]


async def test_a_dump_of_the_notifier_holds_no_webhook_secret(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier() as h:
        first = await h.webhook(NHSI, receiver.url("/a"), "ActionCommitted")
        second = await h.webhook(NHSI, receiver.url("/b"), "Responsibility*")
        rotated = await h.api.post(
            f"/v1/subscriptions/{second['id']}/rotate-secret",
            json={"overlap_seconds": 3600},
            headers=h.token(NHSI),
        )
        assert rotated.status_code == 200, rotated.text
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/a")) >= 1 and len(receiver.at("/b")) >= 2)
        dumped = await dump(h.settings)
        stored = await stored_secrets(h.settings)
    secrets = [first["secret"], second["secret"], rotated.json()["secret"]]
    assert "subscriptions: " in dumped and "jobs: " in dumped  # the dump has rows
    for secret in secrets:
        assert not any(form in dumped for form in forms(secret)), "a secret is readable"
    assert len(stored) == 3  # both of the rotated subscription's secrets, sealed
    box = SecretBox(h.settings.encryption_keys)
    assert sorted(box.open(s) for s in stored) == sorted(secrets)
    for call in receiver.at("/a"):
        Webhook(first["secret"]).verify(call.body, call.headers)


async def reencrypt(settings: NotifierSettings, keys: str) -> tuple[int, str]:
    """``python -m services.notifier reencrypt-secrets`` with ``keys``, as an operator runs it."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "REMIT_DATABASE_URL": settings.database_dsn,
        "REMIT_DB_SCHEMA": settings.db_schema,
        "REMIT_CONSUMER_GROUP": settings.consumer_group,
        "REMIT_WEBHOOK_ENCRYPTION_KEYS": keys,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.notifier",
        "reencrypt-secrets",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    return await proc.wait(), output.decode()


async def test_rotating_the_encryption_key_reencrypts_and_deliveries_stay_signed(
    notifier: Any, receiver: Receiver
) -> None:
    old, new = new_key(), new_key()
    async with notifier(webhook_encryption_keys=old, run_consumer=False) as h:
        sub = await h.webhook(NHSI, receiver.url("/r"), "ActionCommitted")
        schema = h.settings.db_schema
    [sealed_by_old] = await stored_secrets(h.settings)

    code, output = await reencrypt(h.settings, f"{new},{old}")
    assert code == 0 and "1 secrets re-encrypted under the newest key, 0 already were" in output
    code, output = await reencrypt(h.settings, f"{new},{old}")  # again: nothing left to do
    assert code == 0 and "0 secrets re-encrypted under the newest key, 1 already were" in output
    [sealed_by_new] = await stored_secrets(h.settings)
    assert sealed_by_new != sealed_by_old
    assert SecretBox([new]).open(sealed_by_new) == sub["secret"]
    with pytest.raises(UnreadableSecret):
        SecretBox([old]).open(sealed_by_new)
    assert sub["secret"] not in output

    async with notifier(db_schema=schema, webhook_encryption_keys=new) as h:  # old key gone
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/r")) == 1)
    [call] = receiver.at("/r")
    payload = Webhook(sub["secret"]).verify(call.body, call.headers)
    assert payload["type"] == "ActionCommitted"


async def test_a_secret_no_key_opens_is_not_sent_unsigned(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier(webhook_encryption_keys=new_key(), run_consumer=False) as h:
        sub = await h.webhook(NHSI, receiver.url("/lost"), "ActionCommitted")
        schema = h.settings.db_schema
    code, output = await reencrypt(h.settings, new_key())  # a key that never sealed anything
    assert code == 1 and sub["id"] in output
    async with notifier(db_schema=schema, webhook_encryption_keys=new_key()) as h:
        await h.publish(smith_events())

        async def attempts() -> list[dict[str, Any]]:
            listed = await h.api.get(
                "/v1/deliveries", params={"subscription_id": sub["id"]}, headers=h.token(NHSI)
            )
            return [a for d in listed.json() for a in d["attempts"]]

        [attempt, *_] = await eventually(attempts)
    assert attempt["outcome"] == "error" and "not sent unsigned" in attempt["error"]
    assert receiver.at("/lost") == []
    assert json.dumps(attempt).count(sub["secret"]) == 0
