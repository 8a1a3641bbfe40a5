"""What an event touches: its stream's document, the documents it references, and the
organisations and recommendations whose history it belongs to (one rule for every caller)."""

from __future__ import annotations

from typing import Any

from schemas.catalogue import ORGANISATION_FIELDS, ORGANISATION_LIST_FIELDS
from schemas.envelope import DomainEvent

STREAM_PREFIXES = {
    "organisation-": "organisations",
    "review-": "reviews",
    "recommendation-": "recommendations",
    "responsibility-": "responsibilities",
    "action-": "actions",
}
RESPONSE_KINDS = {
    "RecommendationAccepted": "implement_in_full",
    "RecommendationAdapted": "partially_implement",
    "RecommendationDeferred": "future_discussion",
    "RecommendationRejected": "not_implement",
}

Refs = dict[str, set[str]]


def stream_of(stream_id: str) -> tuple[str, str]:
    """(collection, entity id) of a stream id such as ``organisation-nhs-england``."""
    for prefix, kind in STREAM_PREFIXES.items():
        if stream_id.startswith(prefix):
            return kind, stream_id.removeprefix(prefix)
    raise ValueError(f"stream id {stream_id!r} has no known prefix")


def _value(event: DomainEvent, name: str) -> Any:
    """The field, or None when this event type has no such field. Reads the instance dict:
    ``getattr`` with a default goes through pydantic's slow missing-attribute path."""
    return event.__dict__.get(name)


def concerned_organisations(event: DomainEvent) -> list[str]:
    """Organisations in whose history the event belongs, sorted."""
    ids = {v for name in ORGANISATION_FIELDS if isinstance(v := _value(event, name), str)}
    for name in ORGANISATION_LIST_FIELDS:
        ids.update(_value(event, name) or ())
    claim = _value(event, "claim")
    if claim is not None:
        ids.update(i for i in (claim.claimed_by, claim.verified_by) if i)
    return sorted(ids)


def concerned_recommendations(event: DomainEvent) -> list[str]:
    """Recommendations in whose timeline the event belongs, sorted."""
    ids: set[str] = set()
    for name in ("recommendation_id", "parent_id"):
        value = _value(event, name)
        if isinstance(value, str) and (name != "parent_id" or event.type.startswith("Rec")):
            ids.add(value)
    ids.update(_value(event, "cross_references") or ())
    return sorted(ids)


def refs(event: DomainEvent) -> Refs:
    """Every document :func:`~services.projections.domain.fold.apply` may read or write."""
    kind, entity_id = stream_of(event.stream_id)
    out: Refs = {k: set() for k in STREAM_PREFIXES.values()}
    out[kind].add(entity_id)
    out["organisations"].update(concerned_organisations(event))
    for name, collection in (
        ("recommendation_id", "recommendations"),
        ("review_id", "reviews"),
        ("responsibility_id", "responsibilities"),
        ("action_id", "actions"),
    ):
        value = _value(event, name)
        if isinstance(value, str):
            out[collection].add(value)
    return out
