"""A worker cannot be held past its time by a trickling receiver, and a worker whose lease ran
out cannot overwrite what the worker that re-claimed the job recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.notifier.adapters.job_store import PostgresJobStore
from services.notifier.adapters.secret_box import SecretBox
from services.notifier.adapters.webhook import HttpWebhookSender
from services.notifier.domain.addresses import AllowList
from services.notifier.service_layer.ports import Result
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def trickler() -> AsyncIterator[str]:
    """Answers one byte of its status line every 0.3 s, forever."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        try:
            for byte in b"HTTP/1.1 200 OK\r\n" * 100:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.3)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/hook"
    server.close()
    await server.wait_closed()


async def test_trickling_receiver_is_cut_off_at_the_total_timeout(trickler: str) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        sender = HttpWebhookSender(client, AllowList.of(["127.0.0.1"], []), total_timeout_s=1.0)
        began = time.monotonic()
        outcome = await sender.send(trickler, "msg_1", "{}", ["whsec_" + "A" * 43])
    assert outcome.label == "timeout"
    assert time.monotonic() - began < 2.0


def _result(status: str, effect: str) -> Result:
    now = datetime.now(UTC)
    return Result(now, 1.0, 200 if effect == "ok" else 500, "x", None, None, status, effect)


async def test_a_stale_claim_cannot_overwrite_the_new_owner(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier(run_workers=False) as h:
        await h.webhook("nhs-improvement", receiver.url("/hook"), "ActionCommitted")
        await h.publish(smith_events())
        engine = create_async_engine(h.settings.database_dsn)
        schema = h.settings.db_schema
        try:

            async def job_count() -> int:
                async with engine.connect() as conn:
                    sql = text(f"SELECT count(*) FROM {schema}.jobs")
                    return int((await conn.execute(sql)).scalar_one())

            await eventually(job_count, within=30)
            jobs = PostgresJobStore(engine, schema, SecretBox(h.settings.encryption_keys))
            began = datetime.now(UTC)
            [stale], _ = await jobs.claim_some(began, timedelta(0), 2, limit=1)
            later = began + timedelta(milliseconds=1)  # the stale lease has run out by then
            [owner], _ = await jobs.claim_some(later, timedelta(seconds=60), 2, limit=1)
            assert owner.id == stale.id and owner.lease_until != stale.lease_until
            await jobs.finish(owner, _result("delivered", "ok"), timedelta(days=1))
            await jobs.finish(stale, _result("dead", "failing"), timedelta(days=1))
            async with engine.connect() as conn:
                status = (
                    await conn.execute(
                        text(f"SELECT status FROM {schema}.jobs WHERE id = :i"), {"i": owner.id}
                    )
                ).scalar_one()
                attempts = (
                    await conn.execute(
                        text(f"SELECT count(*) FROM {schema}.attempts WHERE job_id = :i"),
                        {"i": owner.id},
                    )
                ).scalar_one()
        finally:
            await engine.dispose()
    assert status == "delivered"
    assert attempts == 2  # both attempts are on record; only the owner's settled the job
