"""A database outage answers 503 problem+json with Retry-After, not 500, and keeps the
connection alive (the catch-all handler is re-raised by Starlette, so the server would drop
the keep-alive connection and the client's next request failed with a read error)."""

from __future__ import annotations

from infra.settings import free_ports
from services.common.problems import database_unavailable
from services.registry.config import RegistrySettings
from tests.support.registry import in_process
from tests.support.tokens import bearer

BODY = {
    "source": {"document": "D", "passage": "P"},
    "organisation_id": "down",
    "name": "Down",
    "kind": "team",
}


async def test_commands_during_a_database_outage_are_503_problems() -> None:
    [port] = free_ports(1)  # nothing listens there
    settings = RegistrySettings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/remit", run_relay=False
    )
    writer = bearer(settings, "t", "registry:write")
    async with in_process(settings) as client:  # raises what the app lets escape
        for _ in range(2):
            r = await client.post("/v1/organisations", json=BODY, headers=writer)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"] == "1"
            assert r.json()["title"] == "Service unavailable"
        assert (await client.get("/v1/events")).status_code == 503


def test_only_connection_failures_count_as_unavailable() -> None:
    assert database_unavailable(ConnectionRefusedError(111, "refused"))
    assert not database_unavailable(ValueError("bad input"))
