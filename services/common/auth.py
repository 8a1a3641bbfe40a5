"""Bearer JWTs (HS256): who calls, for which organisation, with which scopes.

Tokens carry ``sub`` (the caller), ``org`` (the organisation it acts for, if any) and ``scope``
(space-separated). Development uses a well-known default secret; production refuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Depends, HTTPException, Request
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings

DEFAULT_DEV_SECRET = "remit-development-secret-change-me-0123456789"
ADMIN_SCOPE = "admin"


class AuthSettings(BaseSettings):
    environment: str = "development"
    log_level: str = "INFO"
    jwt_secret: SecretStr = SecretStr(DEFAULT_DEV_SECRET)
    jwt_issuer: str = "remit"
    jwt_audience: str = "remit"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> AuthSettings:
        if self.environment == "production" and (
            self.jwt_secret.get_secret_value() == DEFAULT_DEV_SECRET
        ):
            raise ValueError("REMIT_JWT_SECRET must be set in production")
        if len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("REMIT_JWT_SECRET must be at least 32 characters")
        return self


@dataclass(frozen=True)
class Caller:
    subject: str
    organisation_id: str | None
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes


def issue_token(
    settings: AuthSettings,
    subject: str,
    scopes: Iterable[str],
    organisation_id: str | None = None,
    ttl_seconds: int = 3600,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": " ".join(sorted(scopes)),
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    if organisation_id:
        claims["org"] = organisation_id
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="remit"'})


def decode_token(settings: AuthSettings, token: str) -> Caller:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("the bearer token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"the bearer token is invalid: {exc}") from exc
    scopes = frozenset(str(claims.get("scope", "")).split())
    org = claims.get("org")
    return Caller(str(claims["sub"]), str(org) if org else None, scopes)


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_scope(scope: str, settings_of: Callable[[Request], AuthSettings]) -> Any:
    """A dependency that yields the :class:`Caller` if its token grants ``scope`` (or admin)."""

    async def dependency(request: Request) -> Caller:
        token = bearer(request)
        if token is None:
            raise _unauthorized("a bearer token is required")
        caller = decode_token(settings_of(request), token)
        if scope not in caller.scopes and not caller.is_admin:
            raise HTTPException(403, f"the token lacks the scope {scope!r}")
        return caller

    return Depends(dependency)
