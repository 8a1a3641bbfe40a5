"""Decoding stored or received payloads of any schema version into current event classes.

Events are never edited: when an event type changes shape, its class gets a new
``schema_version`` and an upcaster turns the previous version's payload into the next one.
``decode`` applies the chain, so a v1 payload stored years ago still becomes today's class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.envelope import DomainEvent

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class UnknownEventType(ValueError):
    """The payload names a type that is not in the catalogue."""


class UnsupportedSchemaVersion(ValueError):
    """The payload's version is newer than this code, or has no upcaster chain."""


def _organisation_registered_v1_to_v2(payload: Payload) -> Payload:
    """v1 (pre-release) had a free-text ``category`` and no notion of unknown membership."""
    out = {k: v for k, v in payload.items() if k != "category"}
    category = str(payload.get("category") or "").lower()
    known = {"arms_length_body", "government_department", "governing_board", "network", "team"}
    out["kind"] = category if category in known else "other"
    out["members_known"] = True
    return out


def _responsibility_transferred_v1_to_v2(payload: Payload) -> Payload:
    """v1 (pre-release) named ``from_organisation_id``/``to_organisation_id`` and had no
    ``instead_of_id``: every transfer was assumed to have a known previous holder."""
    out = {
        k: v for k, v in payload.items() if k not in ("from_organisation_id", "to_organisation_id")
    }
    out["from_id"] = payload.get("from_organisation_id")
    out["to_id"] = payload["to_organisation_id"]
    out["instead_of_id"] = None
    return out


def _staged(**added: Any) -> Upcaster:
    """Versions before changes could be announced recorded every change as done."""

    def upcast(payload: Payload) -> Payload:
        return {**payload, "stage": "in_effect", "expected_on": None, **added}

    return upcast


def _review_published_v1_to_v2(payload: Payload) -> Payload:
    """v1 had one ``author`` and a bare ``published_on``; v2 has ``authors`` and dated facts
    with their sources (a v1 date came from the event's own source)."""
    out = {k: v for k, v in payload.items() if k not in ("author", "published_on")}
    out["authors"] = [payload["author"]] if payload.get("author") else []
    on = payload.get("published_on")
    out["published"] = {"on": on, "source": payload.get("source") if on else None}
    out["response_published"] = {"on": None, "source": None}
    return out


def _recommendation_recorded_v1_to_v2(payload: Payload) -> Payload:
    return {**payload, "roles": []}


def _response_v1_to_v2(payload: Payload) -> Payload:
    """v1 named only leads and supporters."""
    out = {k: v for k, v in payload.items() if k not in ("lead_ids", "supporting_ids")}
    out["roles"] = [
        {"organisation_id": body, "role": role, "related_id": None, "quote": None}
        for field, role in (("lead_ids", "lead"), ("supporting_ids", "supporting"))
        for body in payload.get(field) or ()
    ]
    return out


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("OrganisationRegistered", 1): _organisation_registered_v1_to_v2,
    ("OrganisationRegistered", 2): _staged(),
    ("OrganisationRenamed", 1): _staged(recommendation_id=None),
    ("OrganisationMerged", 1): _staged(),
    ("OrganisationDissolved", 1): _staged(scope=None, reason=None),
    ("AccountabilityAssigned", 1): _staged(),
    ("ReviewPublished", 1): _review_published_v1_to_v2,
    ("RecommendationRecorded", 1): _recommendation_recorded_v1_to_v2,
    ("RecommendationAccepted", 1): _response_v1_to_v2,
    ("RecommendationAdapted", 1): _response_v1_to_v2,
    ("RecommendationDeferred", 1): _response_v1_to_v2,
    ("RecommendationRejected", 1): _response_v1_to_v2,
    ("ResponsibilityAssigned", 1): _staged(),
    ("ResponsibilityTransferred", 1): _responsibility_transferred_v1_to_v2,
    ("ResponsibilityTransferred", 2): _staged(),
}


def upcast(event_type: str, version: int, payload: Mapping[str, Any]) -> Payload:
    """Bring ``payload`` from ``version`` to the current version of ``event_type``."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    current = CURRENT_VERSIONS[event_type]
    if version > current or version < 1:
        raise UnsupportedSchemaVersion(
            f"{event_type} v{version} is not supported (current is v{current})"
        )
    data = dict(payload)
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedSchemaVersion(f"no upcaster for {event_type} v{version}")
        data = step(data)
        version += 1
    data["type"] = event_type
    data["schema_version"] = current
    if event_type == "RecordsCorrected":
        data = _upcast_corrected(data)
    return data


def _upcast_corrected(payload: Payload) -> Payload:
    """A correction carries whole events, written in the versions current then."""

    def nested(event: Mapping[str, Any]) -> Payload:
        return upcast(str(event.get("type")), int(event.get("schema_version", 0)), event)

    out = dict(payload)
    out["retracted"] = [{**r, "event": nested(r["event"])} for r in payload.get("retracted") or ()]
    out["replaced"] = [
        {**r, "event": nested(r["event"]), "replacement": nested(r["replacement"])}
        for r in payload.get("replaced") or ()
    ]
    return out


def decode(payload: Mapping[str, Any]) -> DomainEvent:
    """Decode a payload (any known version) into its current event class."""
    event_type = payload.get("type")
    version = payload.get("schema_version")
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        raise UnknownEventType("payload lacks a string 'type' and an integer 'schema_version'")
    data = upcast(event_type, version, payload)
    return EVENT_TYPES[event_type].model_validate(data)
