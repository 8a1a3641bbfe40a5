"""The registry command mix: record recommendation, respond, record progress, transfer.

Each client (lane) owns its recommendations and a few responsibilities, so lanes never
conflict; its k-th operation is ``k % 4`` on recommendation ``k // 4``. Bodies have the length
of the Smith review's (a recommendation text of ~450 characters, a quoted source of ~250).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.rawhttp import RawHttp
from bench.text import sentence
from services.common.auth import issue_token
from services.registry.config import RegistrySettings

ORGS = 12
RESPONSIBILITIES_PER_LANE = 4
OPS = ("record", "respond", "progress", "transfer")


def token() -> str:
    return issue_token(RegistrySettings(), "bench", ["registry:write"], ttl_seconds=6 * 3600)


def source(rng: random.Random, locator: str) -> dict[str, str]:
    return {
        "document": "Synthetic review response (benchmark)",
        "passage": sentence(rng, 250),
        "locator": locator,
    }


class CommandRefused(RuntimeError):
    pass


@dataclass
class Mix:
    tag: str
    lanes: int
    orgs: Sequence[str] = field(default_factory=lambda: [f"bench-org-{i}" for i in range(ORGS)])
    holders: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @property
    def review(self) -> str:
        return f"bench-review-{self.tag}"

    def responsibility(self, lane: int, n: int) -> str:
        return f"{self.tag}-l{lane}-resp{n % RESPONSIBILITIES_PER_LANE}"

    def org(self, lane: int, n: int = 0) -> str:
        return self.orgs[(lane + n) % len(self.orgs)]

    def setup_requests(self, with_orgs: bool) -> list[tuple[str, dict[str, Any]]]:
        rng = self.rng
        out: list[tuple[str, dict[str, Any]]] = []
        if with_orgs:
            for org in self.orgs:
                body = {"organisation_id": org, "name": f"Body {org}", "kind": "arms_length_body"}
                out.append(("/v1/organisations", {**body, "source": source(rng, org)}))
        review = {
            "review_id": self.review,
            "title": f"Review {self.tag}",
            "recommendation_count": 0,
            "source": source(rng, "title page"),
        }
        out.append(("/v1/reviews", review))
        for lane in range(self.lanes):
            for n in range(RESPONSIBILITIES_PER_LANE):
                rid = self.responsibility(lane, n)
                self.holders[rid] = self.org(lane)
                out.append(
                    (
                        "/v1/responsibilities",
                        {
                            "responsibility_id": rid,
                            "description": sentence(rng, 120),
                            "holder_id": self.org(lane),
                            "source": source(rng, rid),
                        },
                    )
                )
        return out

    def request(self, lane: int, k: int) -> tuple[str, dict[str, Any], str]:
        """(url, body, op) of lane's k-th operation."""
        n, op = divmod(k, 4)
        rec = f"{self.tag}-l{lane}-r{n}"
        rng = self.rng
        where = source(rng, f"Recommendation {n}")
        url, body, name = self._operation(lane, n, op, rec)
        return url, {**body, "source": where}, name

    def _operation(self, lane: int, n: int, op: int, rec: str) -> tuple[str, dict[str, Any], str]:
        """(url, body without its source, op) of lane's n-th round, operation ``op``."""
        rng = self.rng
        body: dict[str, Any]
        if op == 0:
            body = {"recommendation_id": rec, "number": str(n), "text": sentence(rng, 450)}
            return f"/v1/reviews/{self.review}/recommendations", body, "record"
        if op == 1:
            body = {
                "response": "implement_in_full",
                "response_text": sentence(rng, 300),
                "lead_ids": [self.org(lane)],
            }
            return f"/v1/recommendations/{rec}/response", body, "respond"
        if op == 2:
            body = {
                "status": "in_progress",
                "evidence": sentence(rng, 200),
                "claim": {"claimed_by": self.org(lane)},
            }
            return f"/v1/recommendations/{rec}/progress", body, "progress"
        rid = self.responsibility(lane, n)
        holder = self.holders[rid]
        target = self.org(lane, n + 1) if self.org(lane, n + 1) != holder else self.org(lane, n + 2)
        body = {"from_id": holder, "to_id": target, "reason": sentence(rng, 120)}
        return f"/v1/responsibilities/{rid}/transfer", body, "transfer"

    def succeeded(self, url: str, body: dict[str, Any]) -> None:
        if url.endswith("/transfer"):
            self.holders[url.split("/")[3]] = body["to_id"]


class Client(RawHttp):
    """The registry as the load generators see it: a bearer token on every request, and a
    client that costs the (shared) cores a fraction of what httpx does."""

    def __init__(self, base_url: str, connections: int) -> None:
        super().__init__(base_url, connections)
        self.auth = f"Bearer {token()}"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def client(base_url: str, connections: int) -> Client:
    return Client(base_url, connections)


async def post(http: Client, url: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    headers = {"Authorization": http.auth, "Idempotency-Key": key}
    status, answer = await http.post(url, json.dumps(body).encode(), headers)
    if status not in (200, 201):
        raise CommandRefused(f"{url}: {status} {answer[:200].decode(errors='replace')}")
    result: dict[str, Any] = json.loads(answer)
    return result


async def run_setup(http: Client, mix: Mix, with_orgs: bool, parallel: int = 8) -> None:
    requests = mix.setup_requests(with_orgs)
    head = [r for r in requests if r[0] in ("/v1/organisations", "/v1/reviews")]
    for i, (url, body) in enumerate(head):
        await post(http, url, body, f"setup-{mix.tag}-h{i}")
    rest = [r for r in requests if r not in head]
    sem = asyncio.Semaphore(parallel)

    async def one(i: int, url: str, body: dict[str, Any]) -> None:
        async with sem:
            await post(http, url, body, f"setup-{mix.tag}-{i}")

    await asyncio.gather(*(one(i, u, b) for i, (u, b) in enumerate(rest)))
