"""``decode_record`` turns every malformed record into ``UndecodableRecord``, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import wire
from schemas.envelope import DomainEvent
from tests.unit.schemas.fuzzing import CE_HEADERS, fuzz, mutated

FUZZ = fuzz(150)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@pytest.fixture
def record(current_events: list[DomainEvent]) -> wire.EventRecord:
    """An OrganisationRegistered v3 record (the AHSNs sample) at position 9."""
    (event,) = [e for e in current_events if e.type == "OrganisationRegistered"]
    return wire.encode(event, 9)


def _decode(key: bytes | None, value: bytes | None, headers: Any) -> None:
    """Decoding either succeeds or raises UndecodableRecord; anything else fails the test."""
    try:
        wire.decode_record(key, value, headers)
    except wire.UndecodableRecord as exc:
        assert str(exc)


def _with(record: wire.EventRecord, **changes: bytes | None) -> list[tuple[str, bytes]]:
    headers = dict(record.headers)
    for name, value in changes.items():
        headers.pop(name.replace("content_type", "content-type"), None)
        if value is not None:
            headers[name.replace("content_type", "content-type")] = value
    return list(headers.items())


def _undecodable(record: wire.EventRecord, value: bytes | None = None, **headers: Any) -> str:
    body = record.value if value is None else value
    assert body != record.value or headers, "the case must change something"
    with pytest.raises(wire.UndecodableRecord) as caught:
        wire.decode_record(record.key, body, _with(record, **headers))
    return str(caught.value)


@FUZZ
@given(
    key=st.none() | st.binary(max_size=40),
    value=st.none() | st.binary(max_size=200),
    headers=st.lists(
        st.tuples(st.sampled_from(CE_HEADERS) | st.text(max_size=12), st.binary(max_size=40)),
        max_size=14,
    ),
)
def test_random_records_never_raise_anything_else(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
) -> None:
    _decode(key, value, headers)


@FUZZ
@given(data=st.data())
def test_mutated_valid_records_never_raise_anything_else(
    record: wire.EventRecord, data: st.DataObject
) -> None:
    headers = dict(record.headers)
    for name in data.draw(st.lists(st.sampled_from(CE_HEADERS), max_size=3)):
        if data.draw(st.booleans()):
            headers.pop(name, None)
        else:
            headers[name] = data.draw(st.binary(max_size=30) | st.just(b"") | st.just(b"-1"))
    value = mutated(data, record.value, json_values, fields=3)
    _decode(record.key, value, list(headers.items()))


def test_valid_record_decodes(record: wire.EventRecord) -> None:
    assert wire.decode_record(record.key, record.value, list(record.headers)).position == 9


@pytest.mark.parametrize(
    "value",
    [b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00garbage", b"{" * 100_000],
    ids=["empty", "non-json", "array", "string", "invalid-utf8", "deeply-nested"],
)
def test_value_that_is_not_an_event_object(record: wire.EventRecord, value: bytes) -> None:
    _undecodable(record, value)


def test_invalid_utf8_inside_a_json_string(record: wire.EventRecord) -> None:
    _undecodable(record, record.value.replace(b"Academic", b"Acad\xc3\x28mic"))


def test_invalid_utf8_header_and_key(record: wire.EventRecord) -> None:
    _undecodable(record, ce_subject=b"\xff")
    with pytest.raises(wire.UndecodableRecord):
        wire.decode_record(b"\xc3\x28", record.value, list(record.headers))


def test_unknown_type(record: wire.EventRecord) -> None:
    value = record.value.replace(b'"OrganisationRegistered"', b'"OrganisationRebranded"')
    assert "unknown event type" in _undecodable(record, value)


def test_future_schema_version(record: wire.EventRecord) -> None:
    value = record.value.replace(b'"schema_version": 3', b'"schema_version": 4')
    assert "v4 is not supported" in _undecodable(
        record, value, ce_type=b"remit.OrganisationRegistered.v4"
    )


def test_boolean_schema_version(record: wire.EventRecord) -> None:
    value = record.value.replace(b'"schema_version": 3', b'"schema_version": true')
    _undecodable(record, value)


@pytest.mark.parametrize("position", [None, b"", b"-4", b"0", b"seven", b"1_000", b"\xd9\xa5"])
def test_missing_or_malformed_position(record: wire.EventRecord, position: bytes | None) -> None:
    assert "ce_position" in _undecodable(record, ce_position=position)


def test_mismatched_id(record: wire.EventRecord) -> None:
    message = _undecodable(record, ce_id=b"00000000-0000-4000-8000-000000000000")
    assert "ce_id" in message


def test_mismatched_type(record: wire.EventRecord) -> None:
    assert "ce_type" in _undecodable(record, ce_type=b"remit.OrganisationRenamed.v1")


@pytest.mark.parametrize("header", ["ce_id", "ce_type", "ce_source"])
def test_missing_required_attribute(record: wire.EventRecord, header: str) -> None:
    _undecodable(record, **{header: None})


def test_payload_that_breaks_the_contract(record: wire.EventRecord) -> None:
    payload = json.loads(record.value)
    _undecodable(record, json.dumps({**payload, "recorded_at": "2015-07-23T10:00:00"}).encode())
    _undecodable(record, json.dumps({**payload, "surprise": 1}).encode())


def test_null_header_value(record: wire.EventRecord) -> None:
    with pytest.raises(wire.UndecodableRecord):
        wire.decode_record(record.key, record.value, [*record.headers, ("ce_subject", None)])
