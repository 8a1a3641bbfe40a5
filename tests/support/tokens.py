"""Authorization headers for tests: a development (HS256) token as the services accept it."""

from __future__ import annotations

from services.common.auth import AuthSettings, issue_token


def bearer(
    settings: AuthSettings,
    subject: str,
    *scopes: str,
    org: str | None = None,
    ttl_seconds: int = 3600,
) -> dict[str, str]:
    """``Authorization: Bearer …`` for ``subject`` with ``scopes`` (for ``org``, if given)."""
    token = issue_token(settings, subject, scopes, org, ttl_seconds=ttl_seconds)
    return {"Authorization": f"Bearer {token}"}
