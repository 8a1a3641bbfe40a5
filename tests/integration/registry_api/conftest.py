from __future__ import annotations

from tests.support.registry import client, registry_settings, registry_url  # noqa: F401
