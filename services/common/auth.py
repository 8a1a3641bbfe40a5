"""Who calls, for which organisation, with which scopes: the same for all three services.

Each app calls :func:`install` once; routes then ask for a scope with :func:`require_scope`
(optionally behind a per-caller rate limit), or for any valid caller with :func:`authenticate`.
Tokens are checked by :class:`services.common.tokens.TokenVerifier`: asymmetric JWTs against the
identity provider's JWKS (``REMIT_JWT_JWKS``), and HS256 with ``REMIT_JWT_SECRET`` outside
production only. A refused token is 401; keys that cannot be read at all, 503.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
import structlog
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from services.common import devkeys, openapi
from services.common.jwks import KeySet, KeysUnavailable
from services.common.ratelimit import RateLimit
from services.common.tokens import HS256, Caller, TokenRefused, TokenVerifier, claims_for

DEFAULT_DEV_SECRET = "remit-development-secret-change-me-0123456789"
ADMIN_SCOPE = "admin"
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
log = structlog.get_logger(__name__)

__all__ = ["ADMIN_SCOPE", "AuthSettings", "Caller", "install", "issue_token", "require_scope"]


class AuthSettings(BaseSettings):
    environment: str = "development"
    log_level: str = "INFO"
    jwt_secret: SecretStr = SecretStr(DEFAULT_DEV_SECRET)
    jwt_issuer: str = "remit"
    jwt_audience: str = "remit"
    jwt_jwks: str | None = Field(
        default=None,
        description="The identity provider's JWKS: an `https://` URL (`http://` only to"
        " loopback in production) or a file path. Tokens signed by its keys are accepted",
    )
    jwt_algorithms: list[str] = Field(
        default=["RS256", "ES256", "EdDSA"],
        description="Asymmetric algorithms accepted from the JWKS (JSON list)",
    )
    jwt_leeway_s: float = Field(
        default=30.0, ge=0, le=300, description="Clock skew allowed on `exp`, `nbf` and `iat`"
    )
    jwt_jwks_max_age_s: float = Field(
        default=300.0, gt=0, description="How long a fetched JWKS is used before it is re-read"
    )
    jwt_jwks_refresh_min_s: float = Field(
        default=30.0,
        ge=0,
        description="Shortest interval between re-reads of the JWKS caused by tokens naming an"
        " unknown key (rotation); caps what made-up `kid`s can cost",
    )

    @model_validator(mode="after")
    def _check(self) -> AuthSettings:
        if len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("REMIT_JWT_SECRET must be at least 32 characters")
        unknown = set(self.jwt_algorithms) - set(ASYMMETRIC)
        if unknown:
            raise ValueError(f"REMIT_JWT_ALGORITHMS: {sorted(unknown)} are not asymmetric")
        url = urlsplit(self.jwt_jwks or "")
        if self.production and url.scheme == "http" and url.hostname not in LOOPBACK:
            raise ValueError("REMIT_JWT_JWKS must be https:// in production")
        return self

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def jwt_hs256_key(self) -> str | None:
        """The HS256 key, or None in production (where HS256 tokens are refused)."""
        return None if self.production else self.jwt_secret.get_secret_value()


def issue_token(
    settings: AuthSettings,
    subject: str,
    scopes: Iterable[str],
    organisation_id: str | None = None,
    ttl_seconds: int = 3600,
    key: devkeys.PrivateKey | None = None,
) -> str:
    """A token signed with ``key`` (a development key pair: :mod:`.devkeys`), or without one a
    development token: HS256 with ``REMIT_JWT_SECRET`` (refused in production)."""
    claims = claims_for(
        subject, scopes, settings.jwt_issuer, settings.jwt_audience, organisation_id, ttl_seconds
    )
    if key is not None:
        return devkeys.sign(key, claims)
    secret = settings.jwt_hs256_key
    if secret is None:
        raise ValueError("HS256 tokens are for development; production refuses them")
    return jwt.encode(claims, secret, algorithm=HS256)


@dataclass
class Auth:
    """What an app checks callers with (``app.state.auth``)."""

    verifier: TokenVerifier
    limits: dict[str, RateLimit] = field(default_factory=dict)


def install(app: FastAPI, settings: AuthSettings, limits: Iterable[RateLimit] = ()) -> None:
    """Check this app's callers with ``settings``; ``limits`` are the per-caller rate limits
    its routes name in :func:`require_scope`."""
    keys = None
    if settings.jwt_jwks:
        keys = KeySet(
            settings.jwt_jwks,
            max_age_s=settings.jwt_jwks_max_age_s,
            min_refresh_s=settings.jwt_jwks_refresh_min_s,
        )
    elif settings.production:
        log.error("no_jwks", detail="REMIT_JWT_JWKS is not set: every token will be refused")
    verifier = TokenVerifier(settings, keys)
    app.state.auth = Auth(verifier, {limit.name: limit for limit in limits})


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="remit"'})


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(request: Request) -> Caller:
    """The caller of a request with a valid bearer token (401 otherwise)."""
    token = bearer(request)
    if token is None:
        raise _unauthorized("a bearer token is required")
    auth: Auth = request.app.state.auth
    try:
        return await auth.verifier.verify(token)
    except TokenRefused as exc:
        raise _unauthorized(str(exc)) from None
    except KeysUnavailable as exc:
        detail = f"{exc}; tokens cannot be checked now"
        raise HTTPException(503, detail, headers={"Retry-After": "5"}) from None


def require_scope(scope: str, limit: str | None = None) -> Any:
    """A dependency that yields the :class:`Caller` if its token grants ``scope`` (or admin),
    within the per-caller rate limit named ``limit`` (429 beyond it)."""
    return require_any_scope((scope,), limit)


def require_any_scope(scopes: tuple[str, ...], limit: str | None = None) -> Any:
    """:func:`require_scope` where any one of ``scopes`` will do (the first is named in a 403)."""

    async def dependency(request: Request) -> Caller:
        caller = await authenticate(request)
        if not (caller.is_admin or caller.scopes & set(scopes)):
            raise HTTPException(403, f"the token lacks the scope {scopes[0]!r}")
        if limit is not None:
            rate = request.app.state.auth.limits[limit]
            if wait := rate.take(caller.subject):
                detail = f"Too many requests from {caller.subject!r}; retry after {wait:.1f}s."
                raise HTTPException(429, detail, headers={"Retry-After": rate.retry_after(wait)})
        return caller

    openapi.mark(dependency, scopes, limit)
    return Depends(dependency)
