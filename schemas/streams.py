"""Stream ids: the one definition of ``<kind>-<entity id>`` (``organisation-nhs-england``).

Every event belongs to the stream of one entity; the registry appends to it, the projections
keep one document per stream, the catalogue documents it. They all build and read stream ids
with these functions, so the format has one home.
"""

from __future__ import annotations

KINDS = ("organisations", "reviews", "recommendations", "responsibilities", "actions")
"""The kinds of entity that own a stream (the projections' document collections)."""

PREFIXES: dict[str, str] = {
    "organisations": "organisation-",
    "reviews": "review-",
    "recommendations": "recommendation-",
    "responsibilities": "responsibility-",
    "actions": "action-",
}
"""The stream-id prefix of each kind."""

ID_FIELDS: dict[str, str] = {
    "organisations": "organisation_id",
    "reviews": "review_id",
    "recommendations": "recommendation_id",
    "responsibilities": "responsibility_id",
    "actions": "action_id",
}
"""The event field that names the entity of each kind."""


def stream_id(kind: str, entity_id: str) -> str:
    """The stream of one entity: ``stream_id("organisations", "nhsi") == "organisation-nhsi"``."""
    return PREFIXES[kind] + entity_id


def parse(stream: str) -> tuple[str, str]:
    """(kind, entity id) of a stream id; ``ValueError`` if no kind has its prefix."""
    for kind, prefix in PREFIXES.items():
        if stream.startswith(prefix):
            return kind, stream.removeprefix(prefix)
    raise ValueError(f"stream id {stream!r} has no known prefix")


def template(kind: str) -> str:
    """How the catalogue writes a kind's stream ids: ``organisation-<organisation_id>``."""
    return f"{PREFIXES[kind]}<{ID_FIELDS[kind]}>"


def organisation_stream(organisation_id: str) -> str:
    return stream_id("organisations", organisation_id)


def review_stream(review_id: str) -> str:
    return stream_id("reviews", review_id)


def recommendation_stream(recommendation_id: str) -> str:
    return stream_id("recommendations", recommendation_id)


def responsibility_stream(responsibility_id: str) -> str:
    return stream_id("responsibilities", responsibility_id)


def action_stream(action_id: str) -> str:
    return stream_id("actions", action_id)
