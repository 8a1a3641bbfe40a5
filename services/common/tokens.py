"""Bearer JWTs: the one place that verifies them (for all three services) and mints them.

Accepted:
- **Asymmetric tokens from an identity provider** (``RS256``, ``ES256``, ``EdDSA``, or what
  ``REMIT_JWT_ALGORITHMS`` lists), whose header names a key (``kid``) published in the
  provider's JWKS (``REMIT_JWT_JWKS``: a URL or a file). The services hold public keys only.
- **HS256 tokens** signed with ``REMIT_JWT_SECRET``, in development only: with
  ``REMIT_ENVIRONMENT=production`` they are refused whatever their signature.

Every token must carry ``sub``, ``exp``, ``iss`` = ``REMIT_JWT_ISSUER`` and ``aud`` =
``REMIT_JWT_AUDIENCE``; ``exp``, ``nbf`` and ``iat`` are checked with ``REMIT_JWT_LEEWAY_S`` of
clock skew. ``scope`` (space-separated, or a list) gives the scopes, ``org`` the organisation.

A token that passed is taken on trust for up to :data:`TRUSTED_FOR_S` (never past its ``exp``)
without checking its signature again: a client sends the same token with every request, and
checking an asymmetric signature costs more than the rest of a write's request handling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from cachetools import TLRUCache
from jwt import PyJWK

from services.common.jwks import KeySet

HS256 = "HS256"
TRUSTED_FOR_S = 60.0
"""How long a token that passed is taken on trust, at most: a key withdrawn from the JWKS stops
the tokens it signed within this time (or at their ``exp``, if sooner)."""
TRUSTED_TOKENS = 4096
"""Distinct tokens taken on trust at once (the least recently used give way)."""
KEY_TYPE_OF = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
CURVE_OF = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "EdDSA": "Ed25519"}


class TokenSettings(Protocol):
    environment: str
    jwt_issuer: str
    jwt_audience: str
    jwt_leeway_s: float
    jwt_algorithms: list[str]

    @property
    def jwt_hs256_key(self) -> str | None: ...


@dataclass(frozen=True)
class Caller:
    subject: str
    organisation_id: str | None
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


class TokenRefused(Exception):
    """The token is not acceptable; the message says why (it is sent back to the caller)."""


class TokenVerifier:
    """Checks signature and claims; ``keys`` is None where no JWKS is configured."""

    def __init__(
        self, settings: TokenSettings, keys: KeySet | None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.keys = keys
        self._clock = clock
        self._trusted: TLRUCache[str, tuple[Caller, float, str | None]] = TLRUCache(
            TRUSTED_TOKENS, ttu=lambda _token, entry, _now: entry[1], timer=clock
        )

    async def verify(self, token: str) -> Caller:
        """The caller the token speaks for; :class:`TokenRefused` or :class:`KeysUnavailable`."""
        trusted = self._trusted.get(token)
        if trusted is not None and self._still_published(trusted[2]):
            return trusted[0]
        claims, kid = await self._verified_claims(token)
        caller = caller_of(claims)
        now = self._clock()
        until = min(now + TRUSTED_FOR_S, float(claims["exp"]) + self.settings.jwt_leeway_s)
        if until > now:
            self._trusted[token] = (caller, until, kid)
        return caller

    def _still_published(self, kid: str | None) -> bool:
        """A trusted token stops being trusted as soon as the key set drops its key."""
        return kid is None or self.keys is None or self.keys.publishes(kid)

    async def _verified_claims(self, token: str) -> tuple[dict[str, Any], str | None]:
        """The token's claims and the JWKS key it was signed with (None for HS256)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenRefused(f"the bearer token is invalid: {exc}") from exc
        alg = str(header.get("alg"))
        key = await self._key(alg, header.get("kid"))
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway_s,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("the bearer token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRefused(f"the bearer token is invalid: {exc}") from exc
        kid = header.get("kid") if alg != HS256 else None
        return claims, kid if isinstance(kid, str) else None

    async def _key(self, alg: str, kid: object) -> Any:
        if alg == HS256:
            secret = self.settings.jwt_hs256_key
            if secret is None:
                raise TokenRefused("HS256 tokens are for development; this service refuses them")
            return secret
        if alg not in self.settings.jwt_algorithms:
            raise TokenRefused(f"tokens signed with {alg!r} are not accepted")
        if self.keys is None:
            raise TokenRefused("no identity provider keys are configured (REMIT_JWT_JWKS)")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no signing key (kid)")
        jwk = await self.keys.get(kid)
        if jwk is None:
            raise TokenRefused(f"the token is signed by an unknown key {kid[:64]!r}")
        return _public_key(jwk, alg)


def _public_key(jwk: dict[str, Any], alg: str) -> Any:
    """The key of ``jwk`` if it may verify ``alg`` (its type, curve and own ``alg`` agree)."""
    declared = jwk.get("alg")
    fits = jwk.get("kty") == KEY_TYPE_OF.get(alg[:2]) and (
        alg not in CURVE_OF or jwk.get("crv") == CURVE_OF[alg]
    )
    if not fits or (declared is not None and declared != alg):
        raise TokenRefused(f"the key {jwk.get('kid')!r} is not a {alg} key")
    try:
        return PyJWK(jwk, algorithm=alg).key
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"the key {jwk.get('kid')!r} cannot be used: {exc}") from exc


def caller_of(claims: dict[str, Any]) -> Caller:
    raw = claims.get("scope", "")
    scopes = raw.split() if isinstance(raw, str) else [str(s) for s in raw or ()]
    org = claims.get("org")
    return Caller(str(claims["sub"]), str(org) if org else None, frozenset(scopes))


def claims_for(
    subject: str,
    scopes: Iterable[str],
    issuer: str,
    audience: str,
    organisation_id: str | None = None,
    ttl_seconds: int = 3600,
) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": " ".join(sorted(scopes)),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "iss": issuer,
        "aud": audience,
    }
    if organisation_id:
        claims["org"] = organisation_id
    return claims
