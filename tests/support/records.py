"""Kafka records without Kafka: what a consumer's batch handler receives, for the unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.wire import PositionedEvent, encode

TOPIC = "remit.events"


@dataclass(frozen=True)
class Record:
    """The fields of an aiokafka ``ConsumerRecord`` that handlers read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


def records(events: Iterable[PositionedEvent], first_offset: int = 0) -> list[Record]:
    """Each event as the relay puts it on the topic, at consecutive offsets."""
    out = []
    for offset, positioned in enumerate(events, start=first_offset):
        wire = encode(positioned.event, positioned.position)
        out.append(Record(TOPIC, 0, offset, wire.key, wire.value, tuple(wire.headers)))
    return out


def garbage(offset: int) -> Record:
    """A record no consumer can decode."""
    return Record(TOPIC, 0, offset, b"junk", b"{not json")
