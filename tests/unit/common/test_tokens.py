"""Token verification (services/common/tokens.py) and the JWKS cache (services/common/jwks.py):
which tokens pass, which are refused and why, and how often the provider's keys are read.

No network: the JWKS "provider" is an ``httpx.MockTransport`` that counts its requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest

from services.common import devkeys
from services.common.auth import DEFAULT_DEV_SECRET, AuthSettings
from services.common.jwks import KeySet, KeysUnavailable
from services.common.tokens import Caller, TokenRefused, TokenVerifier, claims_for

URL = "https://id.example.org/.well-known/jwks.json"


@dataclass
class Provider:
    """Publishes the public halves of ``keys``; counts reads; can be made to fail."""

    keys: list[devkeys.PrivateKey]
    extra: list[dict[str, Any]] = field(default_factory=list)
    reads: int = 0
    down: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.reads += 1
        if self.down:
            return httpx.Response(503)
        document = devkeys.jwks(self.keys)
        return httpx.Response(200, json={"keys": [*document["keys"], *self.extra]})


def keyset(provider: Provider, **options: float) -> KeySet:
    return KeySet(URL, transport=httpx.MockTransport(provider), **options)


def claims(**overrides: Any) -> dict[str, Any]:
    base = claims_for("alice", ["registry:write"], "remit", "remit", "org-a", 600)
    return {**base, **overrides}


def verifier(
    provider: Provider | None, environment: str = "development", **settings: Any
) -> TokenVerifier:
    auth = AuthSettings(environment=environment, **settings)
    return TokenVerifier(auth, keyset(provider) if provider else None)


@pytest.fixture(scope="module")
def keys() -> dict[str, devkeys.PrivateKey]:
    return {alg: devkeys.generate_key(alg) for alg in ("RS256", "ES256", "EdDSA")}


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
async def test_tokens_signed_by_a_published_key_pass(
    keys: dict[str, devkeys.PrivateKey], alg: str
) -> None:
    check = verifier(Provider([keys[alg]]), "production")
    caller = await check.verify(devkeys.sign(keys[alg], claims()))
    assert caller == Caller("alice", "org-a", frozenset({"registry:write"}))


REFUSED: dict[str, Callable[[devkeys.PrivateKey], str]] = {
    "another audience": lambda k: devkeys.sign(k, claims(aud="billing")),
    "another issuer": lambda k: devkeys.sign(k, claims(iss="https://evil.example")),
    "expired beyond the leeway": lambda k: devkeys.sign(k, claims(exp=int(time.time()) - 60)),
    "not valid yet": lambda k: devkeys.sign(k, claims(nbf=int(time.time()) + 120)),
    "no sub": lambda k: devkeys.sign(k, {n: v for n, v in claims().items() if n != "sub"}),
    "no aud": lambda k: devkeys.sign(k, {n: v for n, v in claims().items() if n != "aud"}),
    "no exp": lambda k: devkeys.sign(k, {n: v for n, v in claims().items() if n != "exp"}),
    "no kid": lambda k: jwt.encode(claims(), k, algorithm="ES256"),
    "a kid nobody publishes": lambda k: jwt.encode(
        claims(), k, algorithm="ES256", headers={"kid": "made-up"}
    ),
    "signed by an unknown key under a known kid": lambda k: jwt.encode(
        claims(),
        devkeys.generate_key("ES256"),
        algorithm="ES256",
        headers={"kid": devkeys.public_jwk(k)["kid"]},
    ),
    "alg none": lambda k: jwt.encode(claims(), "", algorithm="none"),
    "HS256 in production": lambda k: jwt.encode(claims(), DEFAULT_DEV_SECRET, algorithm="HS256"),
    "HS256 keyed with the public key": lambda k: jwt.encode(
        claims(), devkeys.public_jwk(k)["x"], algorithm="HS256"
    ),
    "garbage": lambda k: "not.a.jwt",
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_other_tokens_are_refused(keys: dict[str, devkeys.PrivateKey], case: str) -> None:
    check = verifier(Provider([keys["ES256"]]), "production")
    with pytest.raises(TokenRefused):
        await check.verify(REFUSED[case](keys["ES256"]))


async def test_expiry_within_the_leeway_passes(keys: dict[str, devkeys.PrivateKey]) -> None:
    check = verifier(Provider([keys["ES256"]]), jwt_leeway_s=30)
    late = devkeys.sign(keys["ES256"], claims(exp=int(time.time()) - 10))
    assert (await check.verify(late)).subject == "alice"


async def test_an_algorithm_not_listed_is_refused(keys: dict[str, devkeys.PrivateKey]) -> None:
    check = verifier(Provider([keys["RS256"]]), jwt_algorithms=["ES256"])
    with pytest.raises(TokenRefused, match="not accepted"):
        await check.verify(devkeys.sign(keys["RS256"], claims()))


async def test_a_key_of_another_type_than_the_header_says_is_refused(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    """The header says ES256, the kid names an RSA key: never verify with what does not fit."""
    rsa_kid = devkeys.public_jwk(keys["RS256"])["kid"]
    forged = jwt.encode(claims(), keys["ES256"], algorithm="ES256", headers={"kid": rsa_kid})
    with pytest.raises(TokenRefused, match="not a ES256 key"):
        await verifier(Provider([keys["RS256"]])).verify(forged)


async def test_hs256_passes_in_development_only() -> None:
    token = jwt.encode(claims(), DEFAULT_DEV_SECRET, algorithm="HS256")
    assert (await verifier(None).verify(token)).subject == "alice"
    with pytest.raises(TokenRefused, match="HS256"):
        await verifier(None, "production").verify(token)


async def test_without_a_jwks_asymmetric_tokens_are_refused(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    with pytest.raises(TokenRefused, match="REMIT_JWT_JWKS"):
        await verifier(None).verify(devkeys.sign(keys["ES256"], claims()))


async def test_the_jwks_is_read_once_and_kept(keys: dict[str, devkeys.PrivateKey]) -> None:
    provider = Provider([keys["ES256"]])
    check = TokenVerifier(AuthSettings(), keyset(provider))
    token = devkeys.sign(keys["ES256"], claims())
    for _ in range(20):
        await check.verify(token)
    assert provider.reads == 1


async def test_a_rotated_key_is_fetched_when_a_token_names_it(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    provider = Provider([keys["ES256"]])
    check = TokenVerifier(AuthSettings(), keyset(provider, min_refresh_s=0))
    await check.verify(devkeys.sign(keys["ES256"], claims()))
    provider.keys = [keys["ES256"], keys["EdDSA"]]  # the provider publishes a new key
    assert (await check.verify(devkeys.sign(keys["EdDSA"], claims()))).subject == "alice"
    assert provider.reads == 2


async def test_made_up_kids_cost_at_most_one_read_per_interval(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    provider = Provider([keys["ES256"]])
    keys_ = keyset(provider, min_refresh_s=3600)
    for i in range(50):
        assert await keys_.get(f"made-up-{i}") is None
    assert provider.reads == 1


async def test_cached_keys_outlive_an_unreachable_provider(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    provider = Provider([keys["ES256"]])
    keys_ = keyset(provider, max_age_s=1e-9, min_refresh_s=0)
    kid = devkeys.public_jwk(keys["ES256"])["kid"]
    assert await keys_.get(kid) is not None
    provider.down = True
    assert await keys_.get(kid) is not None  # stale, re-read failed, the old set still serves
    assert provider.reads == 2


async def test_no_keys_at_all_is_unavailable_not_unknown() -> None:
    provider = Provider([], down=True)
    with pytest.raises(KeysUnavailable):
        await keyset(provider).get("any")


async def test_symmetric_and_encryption_keys_in_a_jwks_are_ignored(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    oct_key = {"kty": "oct", "kid": "shared", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAx"}
    enc = {**devkeys.public_jwk(keys["RS256"]), "kid": "enc", "use": "enc"}
    keys_ = keyset(Provider([keys["ES256"]], extra=[oct_key, enc]))
    assert await keys_.get("shared") is None
    assert await keys_.get("enc") is None
    token = jwt.encode(claims(), "secret-secret-secret-secret-0123", algorithm="HS256")
    forged = jwt.encode(
        claims(), "secret-secret-secret-secret-0123", algorithm="HS256", headers={"kid": "shared"}
    )
    check = TokenVerifier(AuthSettings(environment="production"), keys_)
    for attempt in (token, forged):
        with pytest.raises(TokenRefused):
            await check.verify(attempt)


@pytest.mark.parametrize(
    ("settings", "ok"),
    [
        ({"environment": "production", "jwt_jwks": "http://idp.example/jwks.json"}, False),
        ({"environment": "production", "jwt_jwks": "http://127.0.0.1:8099/jwks.json"}, True),
        ({"environment": "production", "jwt_jwks": "https://idp.example/jwks.json"}, True),
        ({"environment": "development", "jwt_jwks": "http://idp.example/jwks.json"}, True),
        ({"jwt_algorithms": ["HS256"]}, False),
        ({"jwt_algorithms": ["none"]}, False),
    ],
)
def test_settings_refuse_unsafe_token_configuration(settings: dict[str, Any], ok: bool) -> None:
    if ok:
        AuthSettings(**settings)
    else:
        with pytest.raises(ValueError):
            AuthSettings(**settings)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_a_token_that_passed_is_trusted_for_a_minute_and_never_past_its_exp(
    keys: dict[str, devkeys.PrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    check = TokenVerifier(AuthSettings(jwt_leeway_s=0), keyset(Provider([keys["ES256"]])), clock)
    signature_checks = 0
    decode = jwt.decode

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal signature_checks
        signature_checks += 1
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    long_lived = devkeys.sign(keys["ES256"], claims(exp=int(clock.now) + 600))
    short_lived = devkeys.sign(keys["ES256"], claims(exp=int(clock.now) + 10))
    for token in (long_lived, short_lived, long_lived, short_lived):
        await check.verify(token)
    assert signature_checks == 2
    clock.now += 11  # past the short-lived token's exp, within the long-lived one's minute
    await check.verify(long_lived)
    assert signature_checks == 2
    await check.verify(short_lived)  # checked again (PyJWT's own clock has not moved)
    assert signature_checks == 3
    clock.now += 60  # the minute is over
    await check.verify(long_lived)
    assert signature_checks == 4


async def test_a_trusted_token_is_refused_once_the_key_set_drops_its_key(
    keys: dict[str, devkeys.PrivateKey],
) -> None:
    provider = Provider([keys["ES256"], keys["EdDSA"]])
    check = TokenVerifier(AuthSettings(), keyset(provider, min_refresh_s=0))
    retiring = devkeys.sign(keys["ES256"], claims())
    await check.verify(retiring)
    provider.keys = [keys["EdDSA"]]  # the provider withdraws the key
    await check.verify(retiring)  # not seen yet: trusted as before
    unknown = jwt.encode(claims(), keys["EdDSA"], algorithm="EdDSA", headers={"kid": "new"})
    with pytest.raises(TokenRefused):
        await check.verify(unknown)  # an unknown kid makes the verifier re-read the set
    assert provider.reads == 2
    with pytest.raises(TokenRefused):
        await check.verify(retiring)  # its key is gone: no longer trusted
