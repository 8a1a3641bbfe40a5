"""A notifier database made by main 45e7b62 (tables created at start-up, no Alembic) upgrades
in place through the migrations without losing a subscription, a delivery or a dead letter."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.auth import issue_token
from services.notifier.adapters.secret_box import DEVELOPMENT_KEY
from services.notifier.entrypoints.app import create_app
from services.notifier.migrations import SQL, migrate
from tests.integration.notifier.conftest import make_settings

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
