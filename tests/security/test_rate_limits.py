"""Per-caller rate limits on the registry's commands and the notifier's subscription management:
beyond the burst, 429 problem+json with Retry-After, nothing done, the refusal counted in
/metrics; other callers, and reads, are not held back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.registry.config import RegistrySettings
from tests.support.registry import in_process
from tests.support.tokens import bearer

pytestmark = pytest.mark.integration
SOURCE = {"document": "Rate limits", "passage": "Enough."}


@pytest.fixture
async def registry(registry_settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    limited = registry_settings.model_copy(update={"write_rate_per_s": 0.5, "write_burst": 3})
    async with in_process(limited) as http:
        yield http


def as_(subject: str, *scopes: str, org: str | None = None) -> dict[str, str]:
    return bearer(RegistrySettings(), subject, *(scopes or ("registry:write",)), org=org)


def organisation() -> dict[str, Any]:
    return {
        "source": SOURCE,
        "organisation_id": f"rl-{uuid.uuid4().hex[:8]}",
        "name": "N",
        "kind": "team",
    }


def refused_count(metrics: str, limit: str) -> float:
    prefix = f'remit_rate_limited_total{{limit="{limit}"}} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


async def test_a_caller_beyond_its_write_burst_gets_429_and_others_do_not(
    registry: httpx.AsyncClient,
) -> None:
    before = refused_count((await registry.get("/metrics")).text, "registry_writes")
    alice = as_(f"alice-{uuid.uuid4().hex[:6]}")
    for _ in range(3):
        ok = await registry.post("/v1/organisations", json=organisation(), headers=alice)
        assert ok.status_code == 201, ok.text
    body = organisation()
    refused = await registry.post("/v1/organisations", json=body, headers=alice)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Too many requests"
    assert int(refused.headers["retry-after"]) >= 1
    stream = await registry.get(f"/v1/streams/organisation-{body['organisation_id']}")
    assert stream.status_code == 404, "a refused command must not be applied"
    bob = await registry.post("/v1/organisations", json=organisation(), headers=as_("bob"))
    assert bob.status_code == 201
    after = refused_count((await registry.get("/metrics")).text, "registry_writes")
    assert after == before + 1


async def test_subscription_management_is_limited_per_caller_and_reads_are_not(
    notifier: Any,
) -> None:
    async with notifier(
        run_consumer=False, run_workers=False, subscription_rate_per_s=0.5, subscription_burst=2
    ) as h:
        org = f"rl-{uuid.uuid4().hex[:6]}"
        writer = h.token(org)
        body = {"channel": "email", "email": "ops@rl.test", "await_registration": True}
        for _ in range(2):
            assert (
                await h.api.post("/v1/subscriptions", json=body, headers=writer)
            ).status_code == 201
        refused = await h.api.post("/v1/subscriptions", json=body, headers=writer)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        listed = await h.api.get("/v1/subscriptions", headers=writer)
        assert listed.status_code == 200 and len(listed.json()) == 2
        other = await h.api.post("/v1/subscriptions", json=body, headers=h.token("another-org"))
        assert other.status_code == 201
        metrics = (await h.api.get("/metrics")).text
        assert refused_count(metrics, "subscriptions") >= 1
