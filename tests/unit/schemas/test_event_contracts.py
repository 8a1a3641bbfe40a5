"""Events are frozen, strict about unknown fields, and only take timezone-aware timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.envelope import DomainEvent

NAMES = sorted(EVENT_TYPES)


@pytest.mark.parametrize("name", NAMES)
def test_assigning_a_field_raises(name: str, current_samples: dict[str, dict[str, Any]]) -> None:
    event = EVENT_TYPES[name].model_validate(current_samples[name])
    with pytest.raises(ValidationError, match="frozen"):
        event.stream_version = 99  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.source.passage = "edited"  # type: ignore[misc]


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_are_rejected(name: str, current_samples: dict[str, dict[str, Any]]) -> None:
    sample = current_samples[name]
    with pytest.raises(ValidationError, match="extra"):
        EVENT_TYPES[name].model_validate({**sample, "priority": "high"})
    with pytest.raises(ValidationError, match="extra"):
        EVENT_TYPES[name].model_validate({**sample, "source": {**sample["source"], "page": 3}})


@pytest.mark.parametrize("field", ["recorded_at", "occurred_at"])
@pytest.mark.parametrize("naive", ["2015-07-23T10:00:00", datetime(2015, 7, 23, 10)])  # noqa: DTZ001
def test_timestamps_must_be_timezone_aware(
    field: str, naive: object, current_samples: dict[str, dict[str, Any]]
) -> None:
    for name in NAMES:
        with pytest.raises(ValidationError, match="timezone"):
            EVENT_TYPES[name].model_validate({**current_samples[name], field: naive})


def test_type_and_version_are_pinned(current_samples: dict[str, dict[str, Any]]) -> None:
    for name in NAMES:
        cls = EVENT_TYPES[name]
        with pytest.raises(ValidationError):
            cls.model_validate(
                {**current_samples[name], "schema_version": CURRENT_VERSIONS[name] + 1}
            )
        other = next(n for n in NAMES if n != name)
        with pytest.raises(ValidationError):
            cls.model_validate({**current_samples[name], "type": other})


def test_every_event_is_a_domain_event() -> None:
    assert all(issubclass(cls, DomainEvent) for cls in EVENT_TYPES.values())


def test_every_field_naming_organisations_is_declared_once() -> None:
    """Consumers find the bodies an event concerns through these lists: a new event field that
    names an organisation must be added there, or it silently concerns nobody."""
    from schemas.catalogue import EVENT_CLASSES, ORGANISATION_FIELDS, ORGANISATION_LIST_FIELDS

    not_organisations = {
        "event_id",
        "stream_id",
        "correlation_id",
        "causation_id",
        "supersedes_event_id",
        "announced_event_id",
        "correction_id",
        "review_id",
        "recommendation_id",
        "responsibility_id",
        "action_id",
        "claim",
    }
    named = {
        name
        for cls in EVENT_CLASSES
        for name in cls.model_fields
        if name.endswith(("_id", "_ids")) and name not in not_organisations
    }
    assert named == set(ORGANISATION_FIELDS) | set(ORGANISATION_LIST_FIELDS)
