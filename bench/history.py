"""A synthetic history for replay: N events over bodies, reviews, recommendations and
responsibilities, with responses, progress, transfers, renames and merges, written straight to
a topic as the relay would (``schemas.wire.encode``, positions 1..N, per-stream versions 1..k).

Events are built with ``model_construct`` (no validation: the generator keeps them consistent
itself) so that a million of them take about a minute, not ten.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.text import sentence
from schemas import organisations as o
from schemas import responsibilities as r
from schemas import reviews as v
from schemas.envelope import DeliveryStatus, DomainEvent, OrganisationKind, Source
from schemas.wire import encode


class History:
    def __init__(self, total: int, seed: int = 11, reviews: int | None = None) -> None:
        self.total = total
        self.rng = random.Random(seed)
        scale = total / 1_000_000
        self.n_orgs = max(40, int(3_000 * scale))
        self.n_reviews = reviews or max(5, int(2_000 * scale))
        self.recs_per_review = 20
        self.n_resps = max(40, int(20_000 * scale))
        self.versions: dict[str, int] = {}
        self.texts = [sentence(self.rng, self.rng.choice((120, 250, 450))) for _ in range(300)]
        self.sources = [
            Source(document=f"Review {i}", passage=self.text(), locator=f"p{i}") for i in range(50)
        ]
        self.clock = datetime(2015, 1, 1, tzinfo=UTC)
        self.counts: dict[str, int] = {}

    def text(self) -> str:
        return self.rng.choice(self.texts)

    def make(self, cls: type[DomainEvent], stream: str, **fields: Any) -> DomainEvent:
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        self.clock += timedelta(seconds=30)
        self.counts[cls.__name__] = self.counts.get(cls.__name__, 0) + 1
        return cls.model_construct(
            event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            stream_id=stream,
            stream_version=version,
            recorded_at=self.clock,
            occurred_at=None,
            source=self.rng.choice(self.sources),
            actor="bench-history",
            correlation_id=f"hist-{version}-{stream}"[:120],
            causation_id=None,
            **fields,
        )

    def events(self) -> Iterator[DomainEvent]:
        rng = self.rng
        orgs = [f"org-{i}" for i in range(self.n_orgs)]
        names = {org: f"Body {org}" for org in orgs}
        for org in orgs:
            yield self.make(
                o.OrganisationRegistered,
                f"organisation-{org}",
                organisation_id=org,
                name=names[org],
                kind=OrganisationKind.ARMS_LENGTH_BODY,
            )
        active = list(orgs)
        recs: list[tuple[str, str]] = []
        for i in range(self.n_reviews):
            review = f"review-{i}"
            yield self.make(
                v.ReviewPublished,
                f"review-{review}",
                review_id=review,
                title=f"Review {i}",
                recommendation_count=self.recs_per_review,
            )
            for j in range(self.recs_per_review):
                rec = f"{review}-rec-{j}"
                recs.append((rec, review))
                yield self.make(
                    v.RecommendationRecorded,
                    f"recommendation-{rec}",
                    recommendation_id=rec,
                    review_id=review,
                    number=str(j + 1),
                    text=self.text(),
                )
        holders: dict[str, str] = {}
        for i in range(self.n_resps):
            resp, holder = f"resp-{i}", rng.choice(active)
            holders[resp] = holder
            yield self.make(
                r.ResponsibilityAssigned,
                f"responsibility-{resp}",
                responsibility_id=resp,
                description=self.text(),
                holder_id=holder,
            )
        responded: set[str] = set()
        while sum(self.versions.values()) < self.total:
            roll = rng.random()
            if roll < 0.40:
                rec, review = rng.choice(recs)
                if rec not in responded:
                    responded.add(rec)
                    yield self.make(
                        v.RecommendationAccepted,
                        f"recommendation-{rec}",
                        recommendation_id=rec,
                        review_id=review,
                        response_text=self.text(),
                        lead_ids=(rng.choice(active),),
                    )
                else:
                    yield self.make(
                        v.ImplementationProgressRecorded,
                        f"recommendation-{rec}",
                        recommendation_id=rec,
                        status=DeliveryStatus.IN_PROGRESS,
                        evidence=self.text(),
                        claim=v.Claim(claimed_by=rng.choice(active)),
                    )
            elif roll < 0.93:
                resp = f"resp-{rng.randrange(self.n_resps)}"
                to = rng.choice(active)
                if to == holders[resp]:
                    continue
                yield self.make(
                    r.ResponsibilityTransferred,
                    f"responsibility-{resp}",
                    responsibility_id=resp,
                    description=self.text(),
                    from_id=holders[resp],
                    to_id=to,
                    reason=self.text(),
                )
                holders[resp] = to
            elif roll < 0.999 or len(active) < 10:
                org = rng.choice(active)
                new = f"Body {org} renamed {self.versions[f'organisation-{org}']}"
                yield self.make(
                    o.OrganisationRenamed,
                    f"organisation-{org}",
                    organisation_id=org,
                    previous_name=names[org],
                    new_name=new,
                )
                names[org] = new
            else:
                org, parent = rng.sample(active, 2)
                active.remove(org)
                yield self.make(
                    o.OrganisationMerged,
                    f"organisation-{org}",
                    organisation_id=org,
                    parent_id=parent,
                    keeps_identity=True,
                    reason=self.text(),
                )
                for resp, holder in holders.items():
                    if holder == org:
                        holders[resp] = parent


async def produce(
    bootstrap: str, topic: str, total: int, reviews: int | None = None
) -> dict[str, Any]:
    history = History(total, reviews=reviews)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=50,
        acks=1,
        max_batch_size=1 << 20,
        max_request_size=8 << 20,
    )
    await producer.start()
    began = time.perf_counter()
    size = 0
    try:
        pending = []
        for position, event in enumerate(history.events(), start=1):
            record = encode(event, position)
            size += len(record.value)
            pending.append(
                await producer.send(
                    topic, record.value, key=record.key, headers=list(record.headers)
                )
            )
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        await producer.flush()
    finally:
        await producer.stop()
    return {
        "events": total,
        "seconds": round(time.perf_counter() - began, 1),
        "avg_value_bytes": round(size / total),
        "by_type": history.counts,
        "organisations": history.n_orgs,
        "reviews": history.n_reviews,
        "recommendations": history.n_reviews * history.recs_per_review,
        "responsibilities": history.n_resps,
    }
