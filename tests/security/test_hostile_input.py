"""Hostile bodies against every service's write routes (the real processes): deep JSON, wrong
content types, invalid UTF-8, oversized bodies declared or streamed; and a record of an unknown
event type on the bus. Each is refused with a 4xx problem document, and the service goes on.

(The registry's basic malformed/oversized cases are in tests/integration/registry_api; the
decoder's fuzzing is in tests/unit/schemas/test_wire_malformed.py.)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from schemas.upcasting import decode
from schemas.wire import encode
from services.common.kafka import client_options, connection
from tests.security.conftest import ADMIN, Services, token
from tests.support.eventually import eventually

pytestmark = pytest.mark.e2e
SOURCE = {"document": "D", "passage": "P"}


def targets(s: Services) -> list[tuple[str, str]]:
    return [
        (s.registry, "/v1/organisations"),
        (s.notifier, "/v1/subscriptions"),
        (s.projections, "/v1/dead-letters/1/acknowledge"),
    ]


def assert_refused(r: httpx.Response, *statuses: int) -> None:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == r.status_code and body["title"] and body["type"]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, headers=token(*ADMIN)) as client:
        yield client


DEEP = b"[" * 10_000 + b"]" * 10_000
CASES = {
    "10k nested arrays": (DEEP, "application/json"),
    "10k nested objects": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
    "invalid UTF-8": (b'{"name": "\xff\xfe\xc3"}', "application/json"),
    "lone surrogate escape": (b'{"name": "\\ud800"}', "application/json"),
    "form instead of JSON": (b"name=x&kind=team", "application/x-www-form-urlencoded"),
    "XML": (b"<org><name>x</name></org>", "application/xml"),
    "no content type": (b'{"name": "x"}', ""),
    "NUL bytes": (b'{"name": "a\\u0000b"}', "application/json"),
    "huge number": (b'{"member_count": 1' + b"0" * 5000 + b"}", "application/json"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_bodies_are_4xx_problems(
    services: Services, http: httpx.Client, case: str
) -> None:
    body, kind = CASES[case]
    for base, path in targets(services):
        headers = {"Content-Type": kind} if kind else {}
        r = http.post(base + path, content=body, headers=headers)
        assert_refused(r, 400, 404, 413, 415, 422)
        assert http.get(base + "/healthz").status_code == 200


def test_oversized_bodies_are_413_declared_or_streamed(
    services: Services, http: httpx.Client
) -> None:
    big = b'{"x": "' + b"a" * 2_000_000 + b'"}'

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    for base, path in targets(services)[:2]:  # the write APIs with a body limit
        headers = {"Content-Type": "application/json"}
        assert_refused(http.post(base + path, content=big, headers=headers), 413)
        assert_refused(http.post(base + path, content=chunks(), headers=headers), 413)


def test_a_nul_character_in_a_string_is_422_not_a_500(
    services: Services, http: httpx.Client
) -> None:
    org = f"nul-{uuid.uuid4().hex[:6]}"
    body = {"source": SOURCE, "organisation_id": org, "name": "a\u0000b", "kind": "team"}
    assert_refused(http.post(services.registry + "/v1/organisations", json=body), 422)
    sub = {
        "channel": "email",
        "email": "a@b.test",
        "description": "x\u0000y",
        "organisation_id": "o",
        "await_registration": True,
    }
    assert_refused(http.post(services.notifier + "/v1/subscriptions", json=sub), 422)


def test_a_lone_surrogate_in_a_valid_body_is_422_not_a_500(
    services: Services, http: httpx.Client
) -> None:
    """JSON may escape half a UTF-16 pair (``"\\ud800"``); Python parses it into a string that
    no UTF-8 store or answer can hold. Here the rest of the body is valid, so only the lone
    surrogate can be what is refused."""
    lone = "x\ud800y"
    org = f"sur-{uuid.uuid4().hex[:6]}"
    body = {"source": SOURCE, "organisation_id": org, "name": lone, "kind": "team"}
    assert_refused(post(http, services.registry + "/v1/organisations", body), 422)
    sub = {
        "channel": "email",
        "email": f"a{lone}@b.test",
        "description": lone,
        "organisation_id": "o",
        "await_registration": True,
    }
    assert_refused(post(http, services.notifier + "/v1/subscriptions", sub), 422)
    assert http.get(services.registry + "/healthz").status_code == 200


def post(http: httpx.Client, url: str, body: object) -> httpx.Response:
    """``body`` as JSON with every non-ASCII character escaped (httpx would encode it UTF-8)."""
    return http.post(url, content=json.dumps(body), headers={"Content-Type": "application/json"})


async def test_an_unknown_event_type_on_the_bus_is_dead_lettered_and_the_rest_goes_on(
    services: Services, kafka_bootstrap: str
) -> None:
    writer = token("registry:write")
    async with httpx.AsyncClient(timeout=30) as http:

        async def register(name: str) -> tuple[str, httpx.Response]:
            org = f"bus-{uuid.uuid4().hex[:6]}"
            body = {"source": SOURCE, "organisation_id": org, "name": name, "kind": "team"}
            answer = await http.post(
                f"{services.registry}/v1/organisations", json=body, headers=writer
            )
            assert answer.status_code == 201, answer.text
            return org, answer

        await register("Bus")
        feed = (await http.get(f"{services.registry}/v1/events", params={"limit": 1000})).json()
        position, payload = feed["events"][-1]["position"], feed["events"][-1]["event"]
        record = encode(decode(payload), position + 1000)  # far ahead: not a real position
        headers = [
            (k, b"remit.OrganisationTeleported.v1" if k == "ce_type" else v)
            for k, v in record.headers
        ]
        value = record.value.replace(b'"OrganisationRegistered"', b'"OrganisationTeleported"')
        producer = AIOKafkaProducer(**client_options(connection(kafka_bootstrap)))
        await producer.start()
        try:
            await producer.send_and_wait(services.topic, value, key=record.key, headers=headers)
        finally:
            await producer.stop()
        later, second = await register("Later")
        view = await http.get(
            f"{services.projections}/v1/organisations/{later}",
            params={"min_position": second.json()["position"]},
        )
        assert view.status_code == 200, view.text

        async def letters() -> list[dict[str, object]]:
            listed = await http.get(
                f"{services.projections}/v1/dead-letters", headers=token("admin")
            )
            return list(listed.json()["items"])

        found = await eventually(letters, within=20)
        assert any("OrganisationTeleported" in str(letter) for letter in found), found
        ready = (await http.get(f"{services.notifier}/readyz")).json()
        assert ready["checks"]["consumer"] == "ok", ready  # degraded by the letter, still consuming
