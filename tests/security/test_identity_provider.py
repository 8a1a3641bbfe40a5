"""Tokens from an identity provider, end to end: a JWKS served on 127.0.0.1 by ``remit token jwks
--serve`` (the development stand-in for a provider), the three services in production mode
reading it, and ``remit token --key`` minting. Accepted everywhere: tokens signed by a published
key. Refused everywhere: HS256 (even with the right secret), unknown keys, other audiences.
Rotation: a key added to the provider is picked up without a restart; a key it drops stops
working once the cached set is re-read."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.settings import REPO_ROOT, free_ports
from services.common import devkeys
from services.common.auth import AuthSettings
from services.common.tokens import claims_for
from services.notifier.adapters.secret_box import new_key
from tests.security.conftest import Services, running
from tests.support.cli import remit
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e
ALL_SCOPES = ("admin", "registry:write", "subscriptions:write")


@dataclass
class Provider:
    keys: Path
    url: str

    def add_key(self, name: str, alg: str = "ES256") -> Path:
        path = self.keys / f"{name}.pem"
        remit("token", "keygen", str(path), "--alg", alg)
        return path


def mint(key: Path, audience: str = "remit") -> dict[str, str]:
    """What ``remit token --key`` prints (or, for another audience, the same claims but that)."""
    if audience == "remit":
        scopes = [arg for scope in ALL_SCOPES for arg in ("--scope", scope)]
        token = remit("token", "--key", str(key), "--subject", "idp-user", *scopes).strip()
    else:
        claims = claims_for("idp-user", ALL_SCOPES, "remit", audience)
        token = devkeys.sign(devkeys.load_key(key), claims)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    keys = Path(tempfile.mkdtemp(prefix="remit-idp-keys-"))
    port = free_ports(1)[0]
    serve = ["token", "jwks", str(keys), "--serve", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", *serve],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    found = Provider(keys, url)
    found.add_key("first")
    try:
        _wait(lambda: httpx.get(url, timeout=2).status_code == 200)
        yield found
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def production(database_url: str, kafka_bootstrap: str, provider: Provider) -> Iterator[Services]:
    with running(
        database_url,
        kafka_bootstrap,
        REMIT_ENVIRONMENT="production",
        REMIT_WEBHOOK_REQUIRE_HTTPS="true",
        REMIT_WEBHOOK_ENCRYPTION_KEYS=new_key(),
        REMIT_JWT_JWKS=provider.url,
        REMIT_JWT_JWKS_MAX_AGE_S="1",
        REMIT_JWT_JWKS_REFRESH_MIN_S="0.5",
    ) as started:
        yield started


def _wait(condition: Callable[[], bool], within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.1)


def calls(s: Services) -> dict[str, tuple[str, str, dict[str, object] | None]]:
    org = {"source": {"document": "D", "passage": "P"}, "name": "N", "kind": "team"}
    return {
        "registry": (
            "POST",
            f"{s.registry}/v1/organisations",
            {**org, "organisation_id": f"idp-{uuid.uuid4().hex[:8]}"},
        ),
        "projections": ("GET", f"{s.projections}/v1/dead-letters", None),
        "notifier": ("GET", f"{s.notifier}/v1/subscriptions", None),
    }


def status(s: Services, service: str, headers: dict[str, str]) -> httpx.Response:
    method, url, body = calls(s)[service]
    return httpx.request(method, url, json=body, headers=headers, timeout=10)


SERVICES = ("registry", "projections", "notifier")


@pytest.mark.parametrize("service", SERVICES)
def test_a_token_signed_by_a_published_key_is_accepted(
    production: Services, provider: Provider, service: str
) -> None:
    answer = status(production, service, mint(provider.keys / "first.pem"))
    assert answer.status_code in (200, 201), answer.text


@pytest.mark.parametrize("service", SERVICES)
def test_production_refuses_hs256_unknown_keys_and_other_audiences(
    production: Services, provider: Provider, service: str
) -> None:
    unknown = Path(tempfile.mkdtemp()) / "never-published.pem"
    remit("token", "keygen", str(unknown))
    refused = {
        "HS256": bearer(AuthSettings(), "idp-user", *ALL_SCOPES),  # the right secret, even
        "unknown key": mint(unknown),
        "another audience": mint(provider.keys / "first.pem", audience="billing"),
    }
    for why, headers in refused.items():
        answer = status(production, service, headers)
        assert answer.status_code == 401, (why, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_keys_rotate_without_a_restart(production: Services, provider: Provider) -> None:
    second = provider.add_key("second", alg="EdDSA")
    new, retired = mint(second), provider.keys / "first.retired"
    for service in SERVICES:  # picked up on the first token that names it
        _wait(answers(production, service, new, lambda code: code < 400))
    (provider.keys / "first.pem").rename(retired)
    old = mint(retired)
    for service in SERVICES:  # dropped once the cached set is re-read
        _wait(answers(production, service, old, lambda code: code == 401))
        assert status(production, service, new).status_code < 400


def answers(
    s: Services, service: str, headers: dict[str, str], wanted: Callable[[int], bool]
) -> Callable[[], bool]:
    return lambda: wanted(status(s, service, headers).status_code)
