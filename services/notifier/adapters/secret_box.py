"""Webhook signing secrets encrypted at rest, with keys that can be rotated.

Fernet, from ``cryptography``: AES-128-CBC under a random IV, then HMAC-SHA256 over the version,
timestamp, IV and ciphertext, so a token that was altered, or made with another key, is refused
rather than decrypted to garbage. It was chosen over AES-GCM because the library's recipe leaves
nothing to get wrong here (no nonces to manage, a self-describing token), and because
``MultiFernet`` is exactly the rotation wanted: the first key encrypts, every key decrypts, and
``rotate`` re-encrypts a token under the first key.

Keys are 32 random bytes in URL-safe base64, the trailing ``=`` optional (what
``Fernet.generate_key()`` or ``secrets.token_urlsafe(32)`` prints); several are separated by
commas, newest first (``REMIT_WEBHOOK_ENCRYPTION_KEYS``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

DEVELOPMENT_KEY = (
    base64.urlsafe_b64encode(hashlib.sha256(b"remit development only: public").digest())
    .decode()
    .rstrip("=")
)
"""The key development uses when none is set. It is public (derived from a string in this
file), so it protects nothing: production refuses it as the encrypting key."""

KEY_BYTES = 32


class UnreadableSecret(Exception):
    """A stored secret that none of the keys decrypts (altered, or under a key since removed)."""


def parse_keys(value: str) -> list[str]:
    """The keys in ``value`` (comma- or space-separated), each as Fernet wants it (padded);
    ``ValueError`` if there is none or one is not 32 bytes of URL-safe base64."""
    keys = [k for k in value.replace(",", " ").split() if k]
    if not keys:
        raise ValueError("no key given")
    return [_fernet_key(k, position) for position, k in enumerate(keys, start=1)]


def _fernet_key(key: str, position: int) -> str:
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ValueError(f"key {position} is not {KEY_BYTES} bytes of URL-safe base64")
    return base64.urlsafe_b64encode(raw).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    """Seals secrets under the first of ``keys`` and opens what any of them sealed."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        fernets = [Fernet(_fernet_key(k, i)) for i, k in enumerate(keys, start=1)]
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)

    def seal(self, secret: str) -> str:
        return self._all.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._all.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("no configured key decrypts this secret") from None

    def is_current(self, sealed: str) -> bool:
        """Whether the newest key sealed it (nothing to re-encrypt)."""
        try:
            self._newest.decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the newest key; ``UnreadableSecret`` if no key opens it."""
        try:
            return self._all.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("no configured key decrypts this secret") from None
