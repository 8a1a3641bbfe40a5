"""A synthetic history for replay: N events over bodies, reviews, recommendations and
responsibilities, with responses, progress, transfers, renames and merges, written straight to
a topic as the relay would (``schemas.wire.encode``, positions 1..N, per-stream versions 1..k).

Events are built with ``model_construct`` (no validation: the generator keeps them consistent
itself) and encoded by :func:`record` (``encode``'s bytes without the CloudEvents SDK; a test
and a sampled check while producing hold it to that), then appended to producer batches
directly, so a million of them take minutes, not a quarter of an hour.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from bench.text import sentence
from schemas import organisations as o
from schemas import responsibilities as r
from schemas import reviews as v
from schemas.changes import StagedChange
from schemas.envelope import (
    BodyRole,
    ChangeStage,
    DeliveryStatus,
    DomainEvent,
    NamedBody,
    OrganisationKind,
    Source,
)
from schemas.wire import CE_SOURCE, CONTENT_TYPE, EventRecord, ce_type, encode
from services.common.kafka import KafkaSettings, client_options


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
        self.made = 0
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
        self.made += 1
        self.clock += timedelta(seconds=30)
        self.counts[cls.__name__] = self.counts.get(cls.__name__, 0) + 1
        if issubclass(cls, StagedChange):
            fields.setdefault("stage", ChangeStage.IN_EFFECT)
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
        while self.made < self.total:
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
                        roles=(NamedBody(organisation_id=rng.choice(active), role=BodyRole.LEAD),),
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


def _time(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def record(event: DomainEvent, position: int) -> EventRecord:
    """``encode(event, position)``, byte for byte, without building a CloudEvent: the SDK's
    validation and its JSON encoder class were most of the generator's time."""
    headers = [
        ("ce_id", str(event.event_id).encode()),
        ("ce_source", CE_SOURCE.encode()),
        ("ce_type", ce_type(event).encode()),
        ("ce_subject", event.stream_id.encode()),
        ("ce_time", _time(event.recorded_at).encode()),
        ("content-type", CONTENT_TYPE.encode()),
        ("ce_position", str(position).encode()),
        ("ce_streamversion", str(event.stream_version).encode()),
        ("ce_correlationid", event.correlation_id.encode()),
        ("ce_partitionkey", event.stream_id.encode()),
    ]
    if event.causation_id:
        headers.append(("ce_causationid", event.causation_id.encode()))
    headers.append(("ce_specversion", b"1.0"))
    value = json.dumps(event.model_dump(mode="json")).encode()
    return EventRecord(key=event.stream_id.encode(), value=value, headers=tuple(headers))


CHECK_EVERY = 997
"""Every so many records, :func:`record`'s output is compared with ``encode``'s."""


async def produce(
    kafka: KafkaSettings, topic: str, total: int, reviews: int | None = None
) -> dict[str, Any]:
    """Write the history to ``topic`` in batches of up to ~1 MiB per partition, keyed by stream
    and partitioned as the producer's default partitioner would (the relay's producer)."""
    history = History(total, reviews=reviews)
    producer = AIOKafkaProducer(
        **client_options(kafka),
        linger_ms=50,
        acks=1,
        max_batch_size=900_000,  # under the broker's default message.max.bytes (1 MiB)
        max_request_size=8 << 20,
    )
    await producer.start()
    began = time.perf_counter()
    size = 0
    try:
        partitions = sorted(await producer.partitions_for(topic))
        batches: dict[int, Any] = {}
        pending: list[asyncio.Future[Any]] = []
        for position, event in enumerate(history.events(), start=1):
            out = record(event, position)
            if position % CHECK_EVERY == 1 and out != encode(event, position):
                raise AssertionError(f"record() differs from encode() at position {position}")
            size += len(out.value)
            partition = (
                partitions[0]
                if len(partitions) == 1
                else DefaultPartitioner()(out.key, partitions, partitions)
            )
            fields = {"timestamp": None, "key": out.key, "value": out.value}
            batch = batches.get(partition)
            if batch is None or batch.append(**fields, headers=list(out.headers)) is None:
                if batch is not None:
                    pending.append(await producer.send_batch(batch, topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                if batch.append(**fields, headers=list(out.headers)) is None:
                    raise RuntimeError(f"record at position {position} does not fit in a batch")
            if len(pending) > 8:  # a few batches in flight; wait for the oldest
                await pending.pop(0)
        for partition, batch in batches.items():
            if batch.record_count():
                pending.append(await producer.send_batch(batch, topic, partition=partition))
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
