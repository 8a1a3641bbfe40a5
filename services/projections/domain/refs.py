"""What an event touches: its stream's document, the documents it references, and the
organisations and recommendations whose history it belongs to (one rule for every caller)."""

from __future__ import annotations

from typing import Any

from schemas import streams
from schemas.catalogue import corrected_events, named_ids
from schemas.corrections import RecordsCorrected
from schemas.envelope import DomainEvent

Refs = dict[str, set[str]]


def stream_of(stream_id: str) -> tuple[str, str]:
    """(collection, entity id) of a stream id such as ``organisation-nhs-england``."""
    return streams.parse(stream_id)


def _value(event: DomainEvent, name: str) -> Any:
    """The field, or None when this event type has no such field. Reads the instance dict:
    ``getattr`` with a default goes through pydantic's slow missing-attribute path."""
    return event.__dict__.get(name)


def concerned_organisations(event: DomainEvent) -> list[str]:
    """Organisations in whose history the event belongs, sorted."""
    return sorted(named_ids(event))


def _recommendations_named(event: DomainEvent) -> set[str]:
    ids: set[str] = set()
    for name in ("recommendation_id", "parent_id"):
        value = _value(event, name)
        if isinstance(value, str) and (name != "parent_id" or event.type.startswith("Rec")):
            ids.add(value)
    ids.update(_value(event, "cross_references") or ())
    return ids


def concerned_recommendations(event: DomainEvent) -> list[str]:
    """Recommendations in whose timeline the event belongs, sorted (a correction belongs where
    the events it corrects do)."""
    ids = _recommendations_named(event)
    if isinstance(event, RecordsCorrected):
        for nested in corrected_events(event):
            ids |= _recommendations_named(nested)
    return sorted(ids)


_NAMED_STREAMS = (
    ("review_id", "reviews"),
    ("responsibility_id", "responsibilities"),
    ("action_id", "actions"),
)


def creations_named(event: DomainEvent) -> list[tuple[str, str]]:
    """(collection, id) of every stream the event names, besides its own: the fact that
    created each is one the event depends on."""
    found = {("organisations", i) for i in named_ids(event)}
    found |= {("recommendations", i) for i in _recommendations_named(event)}
    for name, collection in _NAMED_STREAMS:
        value = _value(event, name)
        if isinstance(value, str):
            found.add((collection, value))
    found.discard(stream_of(event.stream_id))
    return sorted(found)


def refs(event: DomainEvent) -> Refs:
    """Every document the fold may read or write for ``event`` (for a correction: what the
    events it corrects name, too)."""
    kind, entity_id = stream_of(event.stream_id)
    out: Refs = {k: set() for k in streams.KINDS}
    out[kind].add(entity_id)
    nested = corrected_events(event) if isinstance(event, RecordsCorrected) else []
    for one in (event, *nested):
        for collection, other in creations_named(one):
            out[collection].add(other)
    return out
