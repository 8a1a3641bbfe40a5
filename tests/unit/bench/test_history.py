"""The replay history's records are the relay's: ``record`` gives ``encode``'s bytes."""

from __future__ import annotations

from bench.history import History, record
from schemas.wire import encode


def test_record_is_encode_byte_for_byte() -> None:
    history = History(3_000)
    events = list(history.events())
    assert len(events) == 3_000
    assert {type(e).__name__ for e in events} >= {
        "OrganisationRegistered",
        "ResponsibilityTransferred",
        "ImplementationProgressRecorded",
        "OrganisationRenamed",
    }
    for position, event in enumerate(events, start=1):
        assert record(event, position) == encode(event, position)


def test_a_causation_id_is_carried_as_encode_carries_it() -> None:
    event = next(History(100).events()).model_copy(update={"causation_id": "cmd:1"})
    assert record(event, 7) == encode(event, 7)
