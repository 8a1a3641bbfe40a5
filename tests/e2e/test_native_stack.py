"""One command through the whole system: HTTP in, Kafka, read model, webhook, and the logs."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook

from schemas.wire import decode_record
from services.common.auth import AuthSettings, issue_token
from services.common.kafka import client_options, connection
from tests.e2e.conftest import Stack
from tests.support.eventually import eventually
from tests.support.servers import serve

pytestmark = pytest.mark.e2e
SOURCE = {"document": "E2E", "passage": "An end-to-end check."}


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    def make() -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> dict[str, str]:
            received.append((dict(request.headers), await request.body()))
            return {"ok": "yes"}

        return app

    with serve(make) as url:
        yield f"{url}/hook", received


async def test_a_command_reaches_kafka_read_model_webhook_and_every_log(
    stack: Stack, receiver: tuple[str, list[tuple[dict[str, str], bytes]]], kafka_bootstrap: str
) -> None:
    hook_url, received = receiver
    auth = AuthSettings()
    org = f"e2e-{uuid.uuid4().hex[:6]}"
    correlation = f"e2e-corr-{uuid.uuid4().hex}"
    writer = {"Authorization": f"Bearer {issue_token(auth, 'e2e', ['registry:write'])}"}
    subscriber = {
        "Authorization": f"Bearer {issue_token(auth, 'e2e', ['subscriptions:write'], org)}"
    }

    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(
            f"{stack.notifier}/v1/subscriptions",
            json={"channel": "webhook", "url": hook_url, "await_registration": True},
            headers=subscriber,
        )
        assert created.status_code == 201, created.text
        assert created.json()["organisation_known"] is False  # registered below
        secret = created.json()["secret"]

        r = await http.post(
            f"{stack.registry}/v1/organisations",
            json={"source": SOURCE, "organisation_id": org, "name": "E2E Body", "kind": "team"},
            headers={**writer, "X-Correlation-Id": correlation},
        )
        assert r.status_code == 201, r.text
        [event] = r.json()["events"]

        consumer = AIOKafkaConsumer(
            stack.topic,
            **client_options(connection(kafka_bootstrap)),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            on_kafka = None
            deadline = time.monotonic() + 30
            while on_kafka is None and time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        decoded = decode_record(record.key, record.value, record.headers)
                        if str(decoded.event.event_id) == event["event_id"]:
                            on_kafka = decoded
        finally:
            await consumer.stop()
        assert on_kafka is not None and on_kafka.position == event["position"]
        assert on_kafka.event.correlation_id == correlation

        view = await http.get(
            f"{stack.projections}/v1/organisations/{org}",
            params={"min_position": event["position"]},
        )
        assert view.status_code == 200, view.text
        assert view.json()["name"] == "E2E Body"

    [(headers, body), *_] = await eventually(lambda: list(received), within=30)
    Webhook(secret).verify(body, headers)
    assert json.loads(body)["data"]["event"]["event_id"] == event["event_id"]

    def logged_by() -> set[str]:
        return {name for name, line in stack.logs if correlation in line}

    async with httpx.AsyncClient(timeout=10) as http:
        for url in (stack.registry, stack.projections, stack.notifier):
            text = (await http.get(f"{url}/metrics")).text
            names = {family.name for family in text_string_to_metric_families(text)}
            assert "remit_http_request_duration_seconds" in names, url
            if url != stack.registry:
                assert any(name.endswith("_consumer_lag") for name in names), url

    with contextlib.suppress(AssertionError):
        await eventually(lambda: logged_by() == {"registry", "projections", "notifier"}, within=10)
    assert logged_by() == {"registry", "projections", "notifier"}
