"""A notifier database made by main 45e7b62 (tables created at start-up, no Alembic) upgrades
in place through the migrations without losing a subscription, a delivery or a dead letter; one
at revision 0003, whose webhook secrets are plain text, has them encrypted by 0004."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from standardwebhooks import Webhook

from services.common.auth import issue_token
from services.common.migrations import downgrade, upgrade
from services.notifier.adapters.secret_box import DEVELOPMENT_KEY, SecretBox, new_key
from services.notifier.entrypoints.app import create_app
from services.notifier.migrations import HERE, SQL, migrate
from services.notifier.service_layer.subscriptions import new_secret
from tests.integration.notifier.conftest import make_settings
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration

MAIN_45E7B62_DDL_SHA256 = "4b12d149c993f5a0dfaf81db79be2f361b777ef5bda9e5f3c29a9d3b71c9ba95"
"""SHA-256 of the DDL main 45e7b62 ran at every start: ``_DDL.format(s="{schema}").lstrip()``
of ``git show 45e7b62:services/notifier/adapters/db.py``."""

SUB, JOB, EVENT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 11, 1, 12, tzinfo=UTC)


def main_45e7b62_ddl() -> str:
    """Revision 0001's SQL without its comment: main 45e7b62's DDL, as the hash proves."""
    script = (SQL / "0001_tables.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in script.split("\n") if not line.startswith("--")).lstrip()


def test_revision_0001_is_the_ddl_of_main_45e7b62() -> None:
    digest = hashlib.sha256(main_45e7b62_ddl().encode()).hexdigest()
    assert digest == MAIN_45E7B62_DDL_SHA256


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def _as_main_left_it(engine: AsyncEngine, schema: str) -> None:
    """The tables of main 45e7b62 after two starts, with a subscription, an event, a job with
    an attempt, knowledge, a dead letter and a checkpoint."""
    ddl = main_45e7b62_ddl().replace("{schema}", schema)
    async with engine.begin() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        for _ in range(2):  # it ran at every start
            await driver.execute(ddl)
        for statement, params in _ROWS:
            await conn.execute(text(statement.format(s=schema)), params)


_ROWS: list[tuple[str, dict[str, object]]] = [
    (
        "INSERT INTO {s}.subscriptions (id, organisation_id, channel, url, event_types, reasons, "
        "secret, created_at, updated_at) VALUES (:id, 'nhs-improvement', 'webhook', "
        "'https://hooks.example.org/remit', '{{Responsibility*}}', '{{}}', 'whsec_x', :at, :at)",
        {"id": SUB, "at": AT},
    ),
    (
        "INSERT INTO {s}.events VALUES (:id, 7, 'ResponsibilityTransferred', '{{\"a\": 1}}')",
        {"id": EVENT},
    ),
    (
        "INSERT INTO {s}.jobs (id, event_id, subscription_id, webhook_id, position, "
        "organisation_id, reasons, status, tries, next_attempt_at, created_at, updated_at) "
        "VALUES (:id, :event, :sub, 'msg_1', 7, 'nhs-improvement', '{{responsibility_lost}}', "
        "'pending', 1, :at, :at, :at)",
        {"id": JOB, "event": EVENT, "sub": SUB, "at": AT},
    ),
    (
        "INSERT INTO {s}.attempts (job_id, attempt, started_at, duration_ms, status_code, "
        "outcome, next_attempt_at) VALUES (:job, 1, :at, 12.5, 503, 'failed', :at)",
        {"job": JOB, "at": AT},
    ),
    ("INSERT INTO {s}.holders VALUES ('talent-management', 'nhs-improvement')", {}),
    (
        'INSERT INTO {s}.dead_letters (topic, partition, "offset", reason, key, value, kind) '
        "VALUES ('remit.events', 0, 3, 'not JSON', 'k', 'junk', 'undecodable')",
        {},
    ),
    ("UPDATE {s}.checkpoint SET position = 7", {}),
]


async def test_a_database_of_main_45e7b62_upgrades_in_place(
    database_url: str, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    schema = f"notifier_{uuid.uuid4().hex[:10]}"
    await _as_main_left_it(engine, schema)
    keys = [DEVELOPMENT_KEY]
    await migrate(database_url, schema, "remit-notifier", keys)
    await migrate(database_url, schema, "remit-notifier", keys)  # nothing left to do
    async with engine.connect() as conn:
        version = await conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version"))
        checkpoint = await conn.execute(text(f"SELECT position FROM {schema}.checkpoint"))
        rebuild = await conn.execute(
            text(f"SELECT through_position FROM {schema}.knowledge_rebuild")
        )
        assert (version.scalar_one(), checkpoint.scalar_one()) == ("0004", 7)
        # knowledge is derived: its old tables go, and it is rebuilt from the topic through 7
        assert rebuild.scalar_one() == 7

    settings = make_settings(
        database_url, kafka_bootstrap, "unused", 25, db_schema=schema, run_consumer=False
    )
    app = create_app(settings.model_copy(update={"run_workers": False}))
    admin = {"authorization": f"Bearer {issue_token(settings, 'ops', ['admin'])}"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://n", headers=admin
        ) as api:
            [subscription] = (await api.get("/v1/subscriptions")).json()
            [delivery] = (await api.get("/v1/deliveries")).json()
            letters = (await api.get("/v1/dead-letters")).json()
    assert subscription["id"] == str(SUB) and subscription["event_types"] == ["Responsibility*"]
    assert (delivery["id"], delivery["event_type"], delivery["status"]) == (
        str(JOB),
        "ResponsibilityTransferred",
        "pending",
    )
    assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [(503, "failed")]
    [letter] = letters["items"]
    assert (letter["kind"], letter["consumer"], letter["source_offset"]) == (
        "undecodable",
        "remit-notifier",
        3,
    )
    assert (letter["value"], letter["headers"], letters["unacknowledged"]) == ("junk", [], 1)


async def _at_revision_0003_with_plain_secrets(
    database_url: str, engine: AsyncEngine, url: str
) -> tuple[str, str, str]:
    """A schema at revision 0003 holding a webhook subscription whose secrets (current and, in
    its rotation's overlap, previous) are plain text, as they were stored before 0004."""
    schema = f"notifier_{uuid.uuid4().hex[:10]}"
    await upgrade(database_url, HERE, schema, "0003", consumer_group="remit-notifier")
    secret, previous = new_secret(), new_secret()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {schema}.subscriptions (id, organisation_id, channel, url,"
                " event_types, reasons, secret, previous_secret, previous_secret_until,"
                " created_at, updated_at) VALUES (:id, 'nhs-improvement', 'webhook', :url,"
                " '{ActionCommitted}', '{}', :secret, :previous, :until, :at, :at)"
            ),
            {
                "id": uuid.uuid4(),
                "url": url,
                "secret": secret,
                "previous": previous,
                "until": datetime.now(UTC) + timedelta(days=1),
                "at": AT,
            },
        )
    return schema, secret, previous


async def _stored(engine: AsyncEngine, schema: str) -> tuple[str, str]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(text(f"SELECT secret, previous_secret FROM {schema}.subscriptions"))
        ).one()
    return str(row[0]), str(row[1])


async def test_revision_0004_encrypts_plain_secrets_and_deliveries_stay_signed(
    database_url: str, engine: AsyncEngine, notifier: Any, receiver: Receiver
) -> None:
    schema, secret, previous = await _at_revision_0003_with_plain_secrets(
        database_url, engine, receiver.url("/upgraded")
    )
    key = new_key()
    await migrate(database_url, schema, "remit-notifier", [key])
    sealed = await _stored(engine, schema)
    assert secret not in sealed and previous not in sealed
    assert [SecretBox([key]).open(s) for s in sealed] == [secret, previous]
    with pytest.raises(IntegrityError):  # from now on a plain secret is refused
        async with engine.begin() as conn:
            await conn.execute(
                text(f"UPDATE {schema}.subscriptions SET secret = :s"), {"s": secret}
            )

    async with notifier(db_schema=schema, webhook_encryption_keys=key) as h:
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/upgraded")) == 1)
    [call] = receiver.at("/upgraded")
    assert len(call.headers["webhook-signature"].split()) == 2  # both, in the overlap
    for each in (secret, previous):
        Webhook(each).verify(call.body, call.headers)

    await downgrade(database_url, HERE, schema, "0003", encryption_keys=[key])
    assert await _stored(engine, schema) == (secret, previous)


async def test_revision_0004_refuses_to_run_without_a_key(
    database_url: str, engine: AsyncEngine
) -> None:
    schema, secret, previous = await _at_revision_0003_with_plain_secrets(
        database_url, engine, "https://hooks.example.org/remit"
    )
    with pytest.raises(RuntimeError, match="REMIT_WEBHOOK_ENCRYPTION_KEYS"):
        await migrate(database_url, schema, "remit-notifier", [])
    async with engine.connect() as conn:
        version = await conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version"))
        assert version.scalar_one() == "0003"  # nothing done
    assert await _stored(engine, schema) == (secret, previous)
