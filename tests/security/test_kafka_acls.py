"""The bus against the real broker with SASL/SCRAM and ACLs on: an integrating organisation's
principal consumes the events topic and nothing else, and each service's principal can do only
what its job needs (infra/kafka/principals.py, docs/security.md).

The principals are made here with fresh names and topics, by the same code and the same ACL
templates that ``python -m infra up`` uses for the standard ones.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from infra.kafka import TopicSpec, create_topics
from infra.kafka.principals import MECHANISM, grant, integrator, service_principals
from services.common.kafka import KafkaSettings, client_options, connection

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Bus:
    events: str
    dlq: str
    logins: dict[str, KafkaSettings]

    def login(self, role: str) -> dict[str, object]:
        return client_options(self.logins[role])


@pytest.fixture(scope="module")
async def bus(kafka_connection: KafkaSettings) -> AsyncIterator[Bus]:
    if not kafka_connection.kafka_security_protocol.startswith("SASL_"):
        pytest.skip("the session's broker has no SASL (a plaintext broker was given)")
    run = uuid.uuid4().hex[:8]
    events, dlq = f"sec.acl.{run}", f"sec.acl.{run}.dlq"
    await create_topics(kafka_connection, [TopicSpec(events), TopicSpec(dlq)])
    names = {role: f"{role}-{run}" for role in ("registry", "projections", "notifier")}
    principals = [*service_principals(events, dlq, names), integrator(f"integrator-{run}", events)]
    passwords = {p: secrets.token_urlsafe(18) for p in principals}
    await asyncio.to_thread(grant, kafka_connection, passwords)
    logins = {
        p.name.rsplit("-", 1)[0]: connection(
            kafka_connection.kafka_bootstrap,
            kafka_security_protocol=kafka_connection.kafka_security_protocol,
            kafka_sasl_mechanism=MECHANISM,
            kafka_username=p.name,
            kafka_password=pw,
        )
        for p, pw in passwords.items()
    }
    yield Bus(events, dlq, logins)


async def _produce(options: dict[str, object], topic: str, count: int) -> None:
    producer = AIOKafkaProducer(**options, acks="all", request_timeout_ms=10_000)
    try:
        await producer.start()
        for i in range(count):
            await producer.send_and_wait(topic, value=f"event-{i}".encode(), key=b"k")
    finally:
        await producer.stop()


async def _consume(options: dict[str, object], topic: str, group: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, **options, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    try:
        await consumer.start()
        seen: list[bytes] = []
        while len(seen) < count:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            seen += [r.value or b"" for records in batches.values() for r in records]
        await consumer.commit()
        return seen
    finally:
        await consumer.stop()


async def _read(options: dict[str, object], topic: str) -> None:
    """One fetch from the start of partition 0, without a consumer group."""
    consumer = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False)
    try:
        await consumer.start()
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        await asyncio.wait_for(consumer.getmany(partition, timeout_ms=2000), 30)
    finally:
        await consumer.stop()


async def test_an_integrator_consumes_the_events_and_cannot_produce(bus: Bus) -> None:
    await _produce(bus.login("registry"), bus.events, 3)
    integrator = bus.login("integrator")
    name = bus.logins["integrator"].kafka_username
    got = await _consume(integrator, bus.events, f"{name}.alerts", 3)
    assert got == [b"event-0", b"event-1", b"event-2"]
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(integrator, bus.events, 1)
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(integrator, bus.dlq, 1)


async def test_an_integrator_sees_only_the_event_topic(bus: Bus) -> None:
    """No DLQ, no internal topics (``__consumer_offsets``), no other tenant's groups, no admin."""
    integrator = bus.login("integrator")
    consumer = AIOKafkaConsumer(**integrator, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        # the broker lists only the topics a principal may describe
        assert await consumer.topics() == {bus.events}
    finally:
        await consumer.stop()
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume(integrator, bus.events, "remit-notifier", 1)
    admin = AIOKafkaAdminClient(**integrator)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(f"{bus.events}.mine", 1, 1)])
        assert [error for _, error, *_ in response.topic_errors] == [29]  # TOPIC_AUTHORIZATION
    finally:
        await admin.close()


async def test_each_service_principal_does_only_its_job(bus: Bus) -> None:
    """registry writes the events and cannot read them; projections reads them and writes the
    DLQ, and cannot write the events (nor can the notifier)."""
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(bus.login("registry"), bus.events)
    for role in ("projections", "notifier"):
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(bus.login(role), bus.events, 1)
    await _produce(bus.login("projections"), bus.dlq, 1)
    await _produce(bus.login("notifier"), bus.dlq, 1)


async def test_no_login_or_a_wrong_password_gets_nothing(bus: Bus) -> None:
    bootstrap = bus.logins["integrator"].kafka_bootstrap
    plaintext = connection(bootstrap, kafka_security_protocol="PLAINTEXT")
    wrong = bus.logins["integrator"].model_copy(
        update={"kafka_password": SecretStr("not-the-password")}
    )
    for settings in (plaintext, wrong):
        producer = AIOKafkaProducer(**client_options(settings), request_timeout_ms=5000)
        with pytest.raises((KafkaConnectionError, KafkaError)):
            await asyncio.wait_for(producer.start(), 30)
        await producer.stop()
