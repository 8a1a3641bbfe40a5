"""PostgreSQL helpers every service shares: advisory-lock keys and telling an outage from a bug."""

from __future__ import annotations

import zlib

from sqlalchemy import exc as sa_exc


def advisory_key(schema: str, purpose: str) -> int:
    """A stable signed 63-bit advisory-lock key for ``purpose`` (``migrations``, ``relay``...)
    in ``schema``: two schemas in one database never share a lock."""
    high = zlib.crc32(f"remit:{schema}".encode())
    low = zlib.crc32(purpose.encode())
    return ((high << 32) | low) & 0x3FFF_FFFF_FFFF_FFFF


def connection_lost(exc: BaseException) -> bool:
    """The database connection failed, not the work on it: retry the whole unit of work rather
    than blame (dead-letter) the record being handled."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.InterfaceError | sa_exc.DisconnectionError)
