"""The importer sends a command again, with the same Idempotency-Key, when its request fails in
transit (a registry restarting), and gives up with the error after its last wait."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.registry.importer import import_commands
from tests.support.datasets import MadeUpDocument

DOCUMENT = MadeUpDocument(
    "importer-test",
    "A test notice",
    "Quoted from a test notice.",
    [
        {
            "key": "org/a",
            "command": "RegisterOrganisation",
            "organisation_id": "importer-a",
            "name": "Body A",
            "kind": "other",
        }
    ],
)


def registry_failing(times: int, sent: list[httpx.Request]) -> httpx.MockTransport:
    """A registry whose first ``times`` requests fail before they arrive."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) <= times:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"replayed": False, "events": [{}], "position": 7})

    return httpx.MockTransport(handle)


def test_a_command_that_fails_in_transit_is_sent_again_with_its_key(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    client = httpx.Client(transport=registry_failing(2, sent), base_url="http://registry")
    summary = import_commands(client, DOCUMENT.write(tmp_path), resends=(0, 0, 0))
    assert (summary.commands, summary.appended, summary.position) == (1, 1, 7)
    assert [r.headers["Idempotency-Key"] for r in sent] == ["importer-test:org/a"] * 3


def test_after_the_last_wait_the_error_is_raised(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    client = httpx.Client(transport=registry_failing(3, sent), base_url="http://registry")
    with pytest.raises(httpx.ConnectError):
        import_commands(client, DOCUMENT.write(tmp_path), resends=(0, 0))
    assert len(sent) == 3
