"""Access control and SSRF beyond tests/integration/{notifier,registry_api}: forged and malformed
JWTs on every service, admin-only projections routes, another organisation's deliveries, webhook
hosts that are names or odd spellings of private addresses, redirects, and secrets that must
never show up again (API answers, process logs)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from services.common.auth import DEFAULT_DEV_SECRET
from tests.integration.notifier.support import Received, Receiver
from tests.security.conftest import ADMIN, Services, token
from tests.support.eventually import eventually
from tests.support.smith import smith_events

pytestmark = pytest.mark.e2e
A, B = "nhs-improvement", "nhs-england"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "mallory", "scope": " ".join(ADMIN), "iat": now, "exp": now + 600}
    return {**claims, "iss": "remit", "aud": "remit", **overrides}


def _signed(claims: dict[str, Any], secret: str = DEFAULT_DEV_SECRET, **headers: Any) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


BAD_TOKENS = {
    "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
    "wrong secret": _signed(_claims(), "x" * 40),
    "expired beyond the leeway": _signed(_claims(exp=int(time.time()) - 120)),
    "no exp": _signed({k: v for k, v in _claims().items() if k != "exp"}),
    "no sub": _signed({k: v for k, v in _claims().items() if k != "sub"}),
    "wrong audience": _signed(_claims(aud="someone-else")),
    "wrong issuer": _signed(_claims(iss="evil")),
    "not yet valid": _signed(_claims(nbf=int(time.time()) + 3600)),
    "HS384 with the real secret": jwt.encode(_claims(), DEFAULT_DEV_SECRET * 2, algorithm="HS384"),
    "signature stripped": _signed(_claims()).rsplit(".", 1)[0] + ".",
    "garbage": "not-a-jwt",
}


def writes(s: Services) -> list[tuple[str, str, dict[str, Any]]]:
    org = {"source": {"document": "D", "passage": "P"}, "name": "N", "kind": "team"}
    return [
        ("POST", f"{s.registry}/v1/organisations", {**org, "organisation_id": "ac-x"}),
        ("POST", f"{s.notifier}/v1/subscriptions", {"channel": "email", "email": "a@b.test"}),
        ("GET", f"{s.notifier}/v1/subscriptions", {}),
        ("GET", f"{s.notifier}/v1/deliveries", {}),
        ("GET", f"{s.projections}/v1/dead-letters", {}),
        ("POST", f"{s.projections}/v1/dead-letters/1/acknowledge", {}),
    ]


def _problem(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, (r.request.url, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_forged_or_malformed_tokens_are_401_everywhere(services: Services, name: str) -> None:
    headers = {"Authorization": f"Bearer {BAD_TOKENS[name]}"}
    for method, url, body in writes(services):
        r = httpx.request(method, url, json=body or None, headers=headers, timeout=10)
        _problem(r, 401)
        assert "www-authenticate" in r.headers


def test_no_token_is_401_and_wrong_scope_403(services: Services) -> None:
    for method, url, body in writes(services):
        _problem(httpx.request(method, url, json=body or None, timeout=10), 401)
        weak = token("registry:read", "subscriptions:read", org=A)
        r = httpx.request(method, url, json=body or None, headers=weak, timeout=10)
        if "subscriptions" in url and method == "GET" or "deliveries" in url:
            assert r.status_code == 200, r.text  # a reader may read its own
        else:
            _problem(r, 403)


async def test_another_organisations_delivery_cannot_be_read_or_retried(
    notifier: Any, receiver: Receiver
) -> None:
    async with notifier() as h:
        theirs = await h.webhook(A, receiver.url("/b"), "ActionCommitted")
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/b")) >= 1)
        mine = await h.api.get(
            "/v1/deliveries", params={"subscription_id": theirs["id"]}, headers=h.token(A)
        )
        [delivery] = mine.json()[:1]
        retry = f"/v1/deliveries/{delivery['id']}/retry"
        _problem(await h.api.post(retry, headers=h.token(B)), 404)
        everything = await h.api.get("/v1/deliveries", headers=h.token(B))
        assert everything.status_code == 200
        assert all(d["subscription_id"] != theirs["id"] for d in everything.json())
        assert (await h.api.post(retry, headers=h.token(A))).status_code == 202


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://localhost.:8080/hook",
        "http://LOCALHOST/hook",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://100.100.100.200/",
        "http://172.16.0.1/hook",
        "http://[::]/hook",
        "http://does-not-resolve.invalid/hook",
    ],
)
async def test_webhook_names_and_spellings_of_private_addresses_are_refused(
    notifier: Any, url: str
) -> None:
    async with notifier(run_consumer=False, run_workers=False, webhook_allow_hosts=[]) as h:
        r = await h.api.post(
            "/v1/subscriptions", json={"channel": "webhook", "url": url}, headers=h.token(A)
        )
    _problem(r, 422)


async def test_a_redirect_to_another_address_is_not_followed(
    notifier: Any, receiver: Receiver
) -> None:
    async def redirect(_: Received, __: int) -> tuple[int, dict[str, str]]:
        return 302, {"location": receiver.url("/stolen")}

    receiver.behaviours["/redirect"] = redirect
    async with notifier() as h:
        sub = await h.webhook(A, receiver.url("/redirect"), "ActionCommitted")
        await h.publish(smith_events())
        await eventually(lambda: len(receiver.at("/redirect")) >= 2)  # failed, so retried
        deliveries = await h.api.get(
            "/v1/deliveries", params={"subscription_id": sub["id"]}, headers=h.token(A)
        )
    assert receiver.at("/stolen") == []
    attempts = [a for d in deliveries.json() for a in d["attempts"]]
    assert attempts and all(a["status_code"] == 302 for a in attempts), attempts
    assert all(a["outcome"] != "delivered" for a in attempts), attempts


async def test_secrets_never_show_again_in_answers_or_logs(services: Services) -> None:
    org = f"sec-{uuid.uuid4().hex[:6]}"
    owner = token("subscriptions:write", org=org)
    async with httpx.AsyncClient(base_url=services.notifier, timeout=10) as http:
        created = await http.post(
            "/v1/subscriptions",
            json={
                "channel": "webhook",
                "url": "http://127.0.0.1:9/hook",
                "await_registration": True,
            },
            headers=owner,
        )
        assert created.status_code == 201, created.text
        sid, first = created.json()["id"], created.json()["secret"]
        rotated = await http.post(f"/v1/subscriptions/{sid}/rotate-secret", headers=owner, json={})
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()["secret"]
        answers = [
            await http.get(f"/v1/subscriptions/{sid}", headers=owner),
            await http.get("/v1/subscriptions", headers=owner),
            await http.get("/v1/subscriptions", headers=token("admin")),
            await http.get("/v1/deliveries", headers=owner),
            await http.post(f"/v1/subscriptions/{sid}/disable", headers=owner),
            await http.post(f"/v1/subscriptions/{sid}/enable", headers=owner),
            await http.get("/metrics"),
        ]
    secrets = [first, second, first.removeprefix("whsec_"), second.removeprefix("whsec_")]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert not any(s in answer.text for s in secrets), answer.request.url
    logs = services.log_text()
    assert "notifier" in logs  # the logs were captured
    assert not any(s in logs for s in secrets), "a webhook secret was logged"
    assert owner["Authorization"].split()[1] not in logs, "a bearer token was logged"
