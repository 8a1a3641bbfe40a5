"""``decode_record_fast`` keeps ``decode_record``'s contract: the same event or the same refusal.

``try_decode_fast`` (the hand-read envelope) may decline a record (``None``: the full decoder
decides), but it never accepts one that ``decode_record`` refuses, and when both accept they
give the same event and position.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import wire
from schemas.envelope import DomainEvent
from tests.unit.schemas.fuzzing import CE_HEADERS, fuzz, mutated

FUZZ = fuzz(300)
HEADER_VALUES = st.sampled_from(
    [b"", b"-1", b"0", b"1.0", b"0.3", b"application/json", b"text/plain", b"\xff", b"7"]
    + [b"2015-07-23T10:00:00", b"2015-07-23T10:00:00Z", b"2015-07-23T10:00:00.000001+00:00"]
    + [b"2015-07-23T24:00:00Z", b"2015-02-30T10:00:00Z", b"2015-07-23T10:00:00+01:00"]
    + [b"remit.OrganisationRegistered.v1", b"remit.OrganisationRegistered.v2"]
) | st.binary(max_size=30)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def _outcome(decoder: Any, key: Any, value: Any, headers: Any) -> object:
    try:
        return decoder(key, value, headers)
    except wire.UndecodableRecord:
        return "refused"


def _agree(key: bytes | None, value: bytes | None, headers: Any) -> None:
    full = _outcome(wire.decode_record, key, value, headers)
    fast = wire.try_decode_fast(key, value, headers)
    if fast is not None:
        assert full == fast, "the fast path accepted what decode_record refuses or reads otherwise"
    assert _outcome(wire.decode_record_fast, key, value, headers) == full


@pytest.fixture(params=range(15), ids=lambda i: f"event{i}")
def record(request: pytest.FixtureRequest, current_events: list[DomainEvent]) -> wire.EventRecord:
    event = current_events[request.param]
    if request.param % 2:
        event = event.model_copy(update={"causation_id": "cmd:4f7a"})
    return wire.encode(event, 1234)


def test_every_current_sample_takes_the_fast_path(record: wire.EventRecord) -> None:
    fast = wire.try_decode_fast(record.key, record.value, list(record.headers))
    assert fast is not None
    assert fast == wire.decode_record(record.key, record.value, list(record.headers))


def test_an_older_schema_version_goes_the_full_way(
    samples_dir: Any, current_events: list[DomainEvent]
) -> None:
    v1 = json.loads((samples_dir / "OrganisationRegistered.v1.json").read_text("utf-8"))
    (current,) = [e for e in current_events if e.type == "OrganisationRegistered"]
    record = wire.encode(current, 5)
    headers = {**dict(record.headers), "ce_type": b"remit.OrganisationRegistered.v1"}
    headers["ce_id"] = v1["event_id"].encode()
    value = json.dumps(v1).encode()
    assert wire.try_decode_fast(record.key, value, list(headers.items())) is None
    _agree(record.key, value, list(headers.items()))
    assert wire.decode_record_fast(record.key, value, list(headers.items())).event.type == (
        "OrganisationRegistered"
    )


@pytest.mark.parametrize(
    ("field", "raw"),
    [("schema_version", "2.0"), ("schema_version", "true"), ("stream_version", "1.0")]
    + [("stream_version", "true"), ("type", '"OrganisationRenamed"'), ("event_id", "1")],
)
def test_payload_numbers_and_types_are_read_as_decode_record_reads_them(
    record: wire.EventRecord, field: str, raw: str
) -> None:
    payload = json.loads(record.value)
    text = json.dumps({k: v for k, v in payload.items() if k != field})
    _agree(record.key, f'{text[:-1]}, "{field}": {raw}}}'.encode(), list(record.headers))


@FUZZ
@given(
    key=st.none() | st.binary(max_size=40),
    value=st.none() | st.binary(max_size=200),
    headers=st.lists(st.tuples(st.sampled_from(CE_HEADERS), HEADER_VALUES), max_size=14),
)
def test_random_records(key: bytes | None, value: bytes | None, headers: Any) -> None:
    _agree(key, value, headers)


@FUZZ
@given(data=st.data())
def test_mutated_valid_records(record: wire.EventRecord, data: st.DataObject) -> None:
    headers: list[tuple[str, bytes | None]] = list(record.headers)
    for _ in range(data.draw(st.integers(0, 3))):
        name = data.draw(st.sampled_from(CE_HEADERS) | st.sampled_from(["CE_ID", "x", "ce_data"]))
        action = data.draw(st.sampled_from(["drop", "set", "duplicate", "none"]))
        kept = [(n, v) for n, v in headers if n != name or action == "duplicate"]
        if action == "none":
            kept.append((name, None))
        elif action != "drop":
            kept.append((name, data.draw(HEADER_VALUES)))
        headers = kept
    value = mutated(data, record.value, JSON_VALUES, fields=2)
    key = data.draw(st.just(record.key) | st.none() | st.just(b"\xc3\x28"))
    _agree(key, value, headers)
