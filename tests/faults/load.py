"""A load generator: a few concurrent writers sending a mix of registry commands at a set rate.

It records every command it sent and, for each answered 2xx, the event ids the registry said it
appended. Nothing is retried: an answer other than 2xx (or no answer) is simply "not accepted".
The watched organisation (the one with a webhook subscription) holds and loses responsibilities
and leads responses, so alerts flow throughout.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.common.auth import AuthSettings, issue_token

SOURCE = {"document": "Fault drill", "passage": "Load under faults."}


def write_headers() -> dict[str, str]:
    token = issue_token(AuthSettings(), "fault-load", ["registry:write"], ttl_seconds=7200)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Tally:
    sent: int = 0
    accepted: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    event_ids: set[str] = field(default_factory=set)


@dataclass
class Load:
    """Commands against ``registry`` until stopped; :attr:`tally` says what happened."""

    registry: str
    watched: str
    rate_per_s: float = 20.0
    writers: int = 4
    tally: Tally = field(default_factory=Tally)
    orgs: list[str] = field(default_factory=list)
    responsibilities: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    responded: set[str] = field(default_factory=set)
    review: str = ""
    _rng: random.Random = field(default_factory=lambda: random.Random(7))
    _headers: dict[str, str] = field(default_factory=write_headers)

    async def setup(self, http: httpx.AsyncClient) -> None:
        """The watched organisation, a few others, and a review to hang recommendations on."""
        run = uuid.uuid4().hex[:6]
        self.review = f"review-{run}"
        for org in [self.watched, *(f"org-{run}-{i}" for i in range(4))]:
            body = {"organisation_id": org, "name": org.title(), "kind": "arms_length_body"}
            if await self._post(http, "/v1/organisations", body):
                self.orgs.append(org)
        review = {"review_id": self.review, "title": "Drill", "recommendation_count": 1000}
        assert await self._post(http, "/v1/reviews", review)

    async def run(self, stop: asyncio.Event) -> Tally:
        async with httpx.AsyncClient(base_url=self.registry, timeout=10) as http:
            if not self.review:
                await self.setup(http)
            interval = self.writers / self.rate_per_s
            await asyncio.gather(*(self._writer(http, stop, interval) for _ in range(self.writers)))
        return self.tally

    async def _writer(self, http: httpx.AsyncClient, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            started = time.monotonic()
            path, body = self._next_command()
            await self._post(http, path, body)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    def _next_command(self) -> tuple[str, dict[str, Any]]:
        rng, tag = self._rng, uuid.uuid4().hex[:10]
        holder = self.watched if rng.random() < 0.4 else rng.choice(self.orgs)
        choice = rng.random()
        if choice < 0.15:
            org = f"org-{tag}"
            self.orgs.append(org)
            return "/v1/organisations", {"organisation_id": org, "name": tag, "kind": "team"}
        if choice < 0.40 or not self.responsibilities:
            rid = f"resp-{tag}"
            self.responsibilities.append(rid)
            body = {"responsibility_id": rid, "description": "Duty", "holder_id": holder}
            return "/v1/responsibilities", body
        if choice < 0.60:
            rid = rng.choice(self.responsibilities)
            return f"/v1/responsibilities/{rid}/transfer", {"to_id": holder, "reason": "drill"}
        if choice < 0.80 or not self.recommendations:
            rec = f"{self.review}:rec-{tag}"
            self.recommendations.append(rec)
            body = {"recommendation_id": rec, "number": tag, "text": "Do better."}
            return f"/v1/reviews/{self.review}/recommendations", body
        rec = rng.choice(self.recommendations)
        response: dict[str, Any] = {
            "response": "implement_in_full",
            "response_text": "Accepted.",
            "lead_ids": [holder],
        }
        if rec in self.responded:
            response["revision_reason"] = "drill revision"
        self.responded.add(rec)
        return f"/v1/recommendations/{rec}/response", response

    async def _post(self, http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> bool:
        self.tally.sent += 1
        try:
            r = await http.post(path, json={"source": SOURCE, **body}, headers=self._headers)
        except httpx.HTTPError as exc:
            self.tally.statuses[type(exc).__name__] += 1
            return False
        self.tally.statuses[str(r.status_code)] += 1
        if not r.is_success:
            return False
        self.tally.accepted += 1
        self.tally.event_ids.update(e["event_id"] for e in r.json()["events"])
        return True
