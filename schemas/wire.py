"""How events travel on Kafka: CloudEvents 1.0 in binary content mode.

Record key = stream id (so a stream's events share a partition and stay ordered); value = the
event's JSON; headers ``ce_*`` carry the CloudEvents attributes, plus extensions ``position``
(global position), ``streamversion``, ``correlationid`` and ``causationid``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.envelope import DomainEvent
from schemas.upcasting import decode

EVENTS_TOPIC = "remit.events"
DEAD_LETTER_TOPIC = "remit.events.dlq"
CE_SOURCE = "/remit/registry"
CONTENT_TYPE = "application/json"

# Dead-letter contract. A consumer that cannot process a record of ``EVENTS_TOPIC`` produces it to
# ``DEAD_LETTER_TOPIC`` with the original key, value and headers unchanged, plus these headers
# (UTF-8 strings; partition and offset in decimal), then commits past it.
DLQ_HEADER_REASON = "dlq_reason"
"""Why it could not be processed, e.g. the :class:`UndecodableRecord` message."""
DLQ_HEADER_SOURCE_TOPIC = "dlq_source_topic"
DLQ_HEADER_SOURCE_PARTITION = "dlq_source_partition"
DLQ_HEADER_SOURCE_OFFSET = "dlq_source_offset"
DLQ_HEADER_CONSUMER = "dlq_consumer"
"""The consumer group id of the consumer that gave up on the record."""
DLQ_HEADERS = (
    DLQ_HEADER_REASON,
    DLQ_HEADER_SOURCE_TOPIC,
    DLQ_HEADER_SOURCE_PARTITION,
    DLQ_HEADER_SOURCE_OFFSET,
    DLQ_HEADER_CONSUMER,
)
_FORMAT = JSONFormat()


class UndecodableRecord(ValueError):
    """A Kafka record that is not a Remit event (the reason says why); dead-letter it."""


@dataclass(frozen=True)
class EventRecord:
    """A Kafka record of ``remit.events``, ready to send or just received."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class PositionedEvent:
    """An event together with the global position the store gave it."""

    event: DomainEvent
    position: int


def ce_type(event: DomainEvent) -> str:
    return f"remit.{event.type}.v{event.schema_version}"


def encode(event: DomainEvent, position: int) -> EventRecord:
    attributes: dict[str, Any] = {
        "id": str(event.event_id),
        "source": CE_SOURCE,
        "type": ce_type(event),
        "subject": event.stream_id,
        "time": event.recorded_at,
        "datacontenttype": CONTENT_TYPE,
        "position": str(position),
        "streamversion": str(event.stream_version),
        "correlationid": event.correlation_id,
        "partitionkey": event.stream_id,
    }
    if event.causation_id:
        attributes["causationid"] = event.causation_id
    cloud_event = CloudEvent(attributes, event.model_dump(mode="json"))
    message = to_binary(cloud_event, _FORMAT)
    key = message.key.encode() if isinstance(message.key, str) else (message.key or b"")
    return EventRecord(key=key, value=message.value, headers=tuple(message.headers.items()))


def decode_record(key: bytes | None, value: bytes | None, headers: Any) -> PositionedEvent:
    """Parse a received record; raise :class:`UndecodableRecord` with the reason if it is not
    a valid Remit event (so the caller can dead-letter it and move on)."""
    try:
        header_map = {name: bytes(raw) for name, raw in headers or ()}
        message = KafkaMessage(headers=header_map, key=key, value=value or b"")
        cloud_event = from_binary(message, _FORMAT)
        data = cloud_event.get_data()
        if not isinstance(data, dict):
            raise UndecodableRecord("record value is not a JSON object")
        raw_position = str(cloud_event.get_extension("position"))
        if not (raw_position.isascii() and raw_position.isdigit()) or int(raw_position) < 1:
            raise UndecodableRecord(f"ce_position {raw_position!r} is not a positive integer")
        position = int(raw_position)
        event = decode(data)
    except UndecodableRecord:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableRecord(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # the SDK raises its own exception tree
        raise UndecodableRecord(f"{type(exc).__name__}: {exc}") from exc
    if str(event.event_id) != cloud_event.get_id():
        raise UndecodableRecord("ce_id does not match the payload's event_id")
    if cloud_event.get_type() != f"remit.{data['type']}.v{data['schema_version']}":
        raise UndecodableRecord("ce_type does not match the payload's type and schema_version")
    return PositionedEvent(event=event, position=position)


# The fast path: same contract as decode_record, without the SDK for the envelope.
_FAST_HEADERS = frozenset(
    ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type", "ce_position")
    + ("ce_streamversion", "ce_correlationid", "ce_causationid", "ce_partitionkey")
    + ("ce_specversion",)
)
_FAST_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_position")
_FAST_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?(Z|\+00:00)")
_FAST_TYPES = {f"remit.{name}.v{version}": name for name, version in CURRENT_VERSIONS.items()}


def decode_record_fast(key: bytes | None, value: bytes | None, headers: Any) -> PositionedEvent:
    """:func:`decode_record`, faster on records shaped as :func:`encode` makes them.

    Such a record (the exact header set, current schema version, UTC time) has its envelope
    read by hand and its value decoded exactly as :func:`decode_record` does (``json.loads``
    then :func:`~schemas.upcasting.decode`); anything else, or any doubt, goes through
    :func:`decode_record`, so the outcome (event or :class:`UndecodableRecord`) is the same.
    """
    found = try_decode_fast(key, value, headers)
    return found if found is not None else decode_record(key, value, headers)


def try_decode_fast(key: bytes | None, value: bytes | None, headers: Any) -> PositionedEvent | None:
    """The event, or None when the record is not in the common shape (or fails anything)."""
    try:
        attrs = _fast_headers(key, headers)
        if attrs is None or not value:
            return None
        data = json.loads(value.decode("utf-8"))
        raw_position = attrs["ce_position"]
        if not (isinstance(data, dict) and raw_position.isascii() and raw_position.isdigit()):
            return None
        position = int(raw_position)
        event_type = _FAST_TYPES.get(attrs["ce_type"])
        if position < 1 or event_type is None or data.get("type") != event_type:
            return None
        version = data.get("schema_version")
        if type(version) is not int or version != CURRENT_VERSIONS[event_type]:
            return None
        event = EVENT_TYPES[event_type].model_validate(data)  # decode(data), minus its copy
    except Exception:
        return None
    if str(event.event_id) != attrs["ce_id"]:
        return None
    return PositionedEvent(event=event, position=position)


def _fast_headers(key: bytes | None, headers: Any) -> dict[str, str] | None:
    if key is not None:
        key.decode("utf-8")
    attrs: dict[str, str] = {}
    for name, raw in headers or ():
        if name not in _FAST_HEADERS or name in attrs or type(raw) is not bytes:
            return None
        attrs[name] = raw.decode("utf-8")
    if attrs.get("ce_specversion") != "1.0" or attrs.get("content-type") != CONTENT_TYPE:
        return None
    for name in _FAST_REQUIRED:
        if not attrs.get(name):
            return None
    time = attrs["ce_time"]
    if not _FAST_TIME.fullmatch(time) or datetime.fromisoformat(time).tzinfo is None:
        return None
    return attrs
