"""The identity provider's public keys: a JWKS (RFC 7517) read from a URL or a file, cached.

- Read on first use, then kept for ``max_age_s``; read again after that (keys that were
  removed disappear, new ones appear).
- A token that names a key (``kid``) not in the set makes it read the set again, because the
  provider may have rotated its keys; at most once per ``min_refresh_s``, so tokens with made-up
  ``kid``\\s cannot turn every request into a fetch. Concurrent requests share one fetch.
- When a read fails, the keys already held keep serving; with none, :class:`KeysUnavailable`.
- Only signing keys of public-key types are kept (``kty`` RSA, EC, OKP; ``use`` absent or
  ``sig``): a symmetric (``oct``) key published in a JWKS is ignored.

Why not PyJWT's ``PyJWKClient``: it fetches with ``urllib`` (blocking the event loop of an async
service for the whole request), reads only URLs, and rate-limits refreshes only in its most
recent releases. This reads with httpx and keeps the parsing and verification in PyJWT.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import structlog

log = structlog.get_logger(__name__)
PUBLIC_KEY_TYPES = ("RSA", "EC", "OKP")


class KeysUnavailable(Exception):
    """No key could be read (the provider is unreachable and nothing is cached)."""


def signing_keys(document: Any) -> dict[str, dict[str, Any]]:
    """``kid`` -> JWK of every public signing key of a JWKS document."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS is a JSON object with a list 'keys'")
    return {
        str(key["kid"]): key
        for key in document["keys"]
        if isinstance(key, dict)
        and key.get("kid")
        and key.get("kty") in PUBLIC_KEY_TYPES
        and key.get("use", "sig") == "sig"
    }


class KeySet:
    def __init__(
        self,
        source: str,
        *,
        max_age_s: float = 300.0,
        min_refresh_s: float = 30.0,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.source = source
        self.max_age_s, self.min_refresh_s, self.timeout_s = max_age_s, min_refresh_s, timeout_s
        self._transport = transport
        self._keys: dict[str, dict[str, Any]] = {}
        self._loaded_at: float | None = None
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()
        self.reads = 0
        """How many times the source was read (tests check the refresh floor with it)."""

    async def get(self, kid: str) -> dict[str, Any] | None:
        """The JWK named ``kid``, or None if the provider does not publish it."""
        if self._loaded_at is None:
            await self._refresh(self._tried_at, floor=min(1.0, self.min_refresh_s))
        elif time.monotonic() - self._loaded_at > self.max_age_s:
            await self._refresh(self._tried_at, floor=self.min_refresh_s)
        if self._loaded_at is None:
            raise KeysUnavailable(f"cannot read the JWKS at {self.source}")
        if kid not in self._keys:
            await self._refresh(self._tried_at, floor=self.min_refresh_s)
        return self._keys.get(kid)

    def publishes(self, kid: str) -> bool:
        """Whether the key set as last read still has ``kid`` (no read: for trusted tokens)."""
        return kid in self._keys

    async def _refresh(self, seen: float | None, floor: float) -> None:
        async with self._lock:
            if self._tried_at != seen:
                return  # another request read the set while this one waited
            if seen is not None and time.monotonic() - seen < floor:
                return
            self._tried_at = time.monotonic()
            try:
                self._keys = signing_keys(await self._read())
                self._loaded_at = self._tried_at
            except (OSError, ValueError, httpx.HTTPError) as exc:
                log.warning("jwks_unreadable", source=self.source, error=str(exc)[:300])

    async def _read(self) -> Any:
        self.reads += 1
        if not self.source.startswith(("http://", "https://")):
            text = await asyncio.to_thread(Path(self.source).read_text, encoding="utf-8")
            return json.loads(text)
        async with httpx.AsyncClient(
            timeout=self.timeout_s, transport=self._transport, follow_redirects=False
        ) as http:
            response = await http.get(self.source, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
