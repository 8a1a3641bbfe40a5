"""Encoding to a Kafka record and back, and what any CloudEvents consumer sees in it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from schemas import wire
from schemas.catalogue import EVENT_TYPES
from schemas.envelope import DomainEvent
from schemas.organisations import OrganisationRegistered


@pytest.fixture(params=range(15), ids=lambda i: f"event{i}")
def event(request: pytest.FixtureRequest, current_events: list[DomainEvent]) -> DomainEvent:
    chosen: DomainEvent = current_events[request.param]
    return chosen


def test_every_current_event_is_exercised(current_events: list[DomainEvent]) -> None:
    assert len(current_events) == len(EVENT_TYPES)


def test_encode_then_decode_record_gives_the_event_back(event: DomainEvent) -> None:
    record = wire.encode(event, 1234)
    decoded = wire.decode_record(record.key, record.value, list(record.headers))
    assert decoded == wire.PositionedEvent(event=event, position=1234)


def test_record_is_a_cloudevent_for_the_sdk(event: DomainEvent) -> None:
    event = event.model_copy(update={"causation_id": "cmd:4f7a"})
    record = wire.encode(event, 77)
    message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    ce = from_binary(message, JSONFormat())
    assert ce.get_specversion() == "1.0"
    assert ce.get_id() == str(event.event_id)
    assert ce.get_type() == f"remit.{event.type}.v{event.schema_version}"
    assert ce.get_source() == wire.CE_SOURCE
    assert ce.get_subject() == event.stream_id
    time = ce.get_time()
    assert isinstance(time, datetime) and time == event.recorded_at
    assert ce.get_datacontenttype() == wire.CONTENT_TYPE
    assert ce.get_extension("position") == "77"
    assert ce.get_extension("streamversion") == str(event.stream_version)
    assert ce.get_extension("correlationid") == event.correlation_id
    assert ce.get_extension("causationid") == "cmd:4f7a"
    assert ce.get_extension("partitionkey") == event.stream_id == record.key.decode()
    assert ce.get_data() == event.model_dump(mode="json")


def test_no_causationid_header_without_causation(event: DomainEvent) -> None:
    record = wire.encode(event.model_copy(update={"causation_id": None}), 1)
    assert "ce_causationid" not in dict(record.headers)


def test_a_v1_payload_on_the_wire_decodes_to_the_current_class(
    current_samples: dict[str, dict[str, Any]], samples_dir: Path
) -> None:
    v1 = json.loads((samples_dir / "OrganisationRegistered.v1.json").read_text())
    event = OrganisationRegistered.model_validate(current_samples["OrganisationRegistered"])
    record = wire.encode(event, 5)
    headers = dict(record.headers)
    headers["ce_id"] = v1["event_id"].encode()
    headers["ce_type"] = b"remit.OrganisationRegistered.v1"
    decoded = wire.decode_record(record.key, json.dumps(v1).encode(), list(headers.items()))
    assert isinstance(decoded.event, OrganisationRegistered)
    assert decoded.event.organisation_id == "nhs-leadership-academy"
