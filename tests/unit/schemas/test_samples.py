"""Every stored version of every event type still decodes: one sample per (type, version)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.organisations import OrganisationRegistered
from schemas.responsibilities import ResponsibilityTransferred
from schemas.upcasting import decode

ALL_VERSIONS = sorted(
    (name, version)
    for name, current in CURRENT_VERSIONS.items()
    for version in range(1, current + 1)
)


def _sample(samples_dir: Path, name: str, version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((samples_dir / f"{name}.v{version}.json").read_text())
    return data


def test_every_version_has_a_sample_and_no_sample_is_stray(samples_dir: Path) -> None:
    files = {p.name for p in samples_dir.glob("*.json")}
    assert files == {f"{name}.v{version}.json" for name, version in ALL_VERSIONS}


@pytest.mark.parametrize(("name", "version"), ALL_VERSIONS, ids=lambda v: str(v))
def test_sample_decodes_to_current_class_and_reencodes(
    samples_dir: Path, name: str, version: int
) -> None:
    stored = _sample(samples_dir, name, version)
    assert (stored["type"], stored["schema_version"]) == (name, version)
    event = decode(stored)
    assert type(event) is EVENT_TYPES[name]
    assert event.schema_version == CURRENT_VERSIONS[name]
    encoded = event.model_dump(mode="json")
    assert decode(encoded) == event
    if version == CURRENT_VERSIONS[name]:
        assert encoded == stored


def test_organisation_registered_v1_category_becomes_kind(samples_dir: Path) -> None:
    stored = _sample(samples_dir, "OrganisationRegistered", 1)
    event = decode(stored)
    assert isinstance(event, OrganisationRegistered)
    assert stored["category"] == "Hosted programme" and event.kind == "other"
    assert event.members_known is True
    known = decode({**stored, "category": "Arms_Length_Body"})
    assert isinstance(known, OrganisationRegistered) and known.kind == "arms_length_body"


def test_responsibility_transferred_v1_names_become_from_and_to(samples_dir: Path) -> None:
    stored = _sample(samples_dir, "ResponsibilityTransferred", 1)
    event = decode(stored)
    assert isinstance(event, ResponsibilityTransferred)
    assert (event.from_id, event.to_id) == ("nhs-leadership-academy", "nhs-improvement")
    assert event.instead_of_id is None
