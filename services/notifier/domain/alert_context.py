"""What an alert says around its event, from the notifier's knowledge (the per-stream logs it
keeps for resolving, as corrected): the names of the bodies, the recommendation and the
government's response to it, the announcement a settling event names, and what a
responsibility or an action is called. Pure: the adapter reads the logs, this reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.catalogue import named_ids
from schemas.corrections import effective
from schemas.envelope import DomainEvent
from schemas.organisations import OrganisationRegistered, OrganisationRenamed
from schemas.responsibilities import (
    ActionCommitted,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import RESPONSE_KINDS, GovernmentResponse, RecommendationRecorded
from schemas.streams import PREFIXES, organisation_stream, recommendation_stream
from schemas.upcasting import UnknownEventType, decode
from services.common.wording.alerts import Context, Recommendation
from services.notifier.domain.knowledge import Log, in_effect

Logs = Mapping[str, Log]


def decoded(event: Mapping[str, Any]) -> DomainEvent | None:
    """The job's stored event as its class (None if it no longer decodes: said plainly)."""
    try:
        return decode(event)
    except (UnknownEventType, ValueError):
        return None


def streams(event: DomainEvent, recipient: str) -> set[str]:
    """The logs an alert about ``event`` reads: every body it names and the recipient, the
    recommendation it is about, and its own stream."""
    found = {organisation_stream(i) for i in named_ids(event) | {recipient}}
    rec = getattr(event, "recommendation_id", None)
    if isinstance(rec, str):
        found.add(recommendation_stream(rec))
    return found | {event.stream_id}


def context(event: DomainEvent, logs: Logs) -> Context:
    names = {
        stream.removeprefix(PREFIXES["organisations"]): found
        for stream, log in logs.items()
        if stream.startswith(PREFIXES["organisations"]) and (found := _name(log)) is not None
    }
    rec = getattr(event, "recommendation_id", None)
    recommendation = None
    if isinstance(rec, str):
        recommendation = _recommendation(rec, logs.get(recommendation_stream(rec), ()))
    own = logs.get(event.stream_id, ())
    announced = {
        str(e.event_id): e.model_dump(mode="json")
        for e in effective(own)
        if getattr(e, "stage", None) == "announced"
    }
    things = {event.stream_id: t} if (t := _thing(own)) else {}
    return Context(names, recommendation, announced, things)


def _name(log: Log) -> str | None:
    """A body's name now: registered, then renamed by renames in effect."""
    found = next((e.name for e in effective(log) if isinstance(e, OrganisationRegistered)), None)
    done, _ = in_effect(log)
    for change in done:
        if isinstance(change, OrganisationRenamed):
            found = change.new_name
    return found


def _recommendation(rec_id: str, log: Log) -> Recommendation:
    recorded = next((e for e in effective(log) if isinstance(e, RecommendationRecorded)), None)
    responses = [e for e in effective(log) if isinstance(e, GovernmentResponse)]
    last = responses[-1] if responses else None
    return Recommendation(
        rec_id,
        recorded.number if recorded else None,
        recorded.text if recorded else None,
        RESPONSE_KINDS.get(last.type) if last else None,
        last.response_text if last else None,
    )


def _thing(log: Log) -> str | None:
    """What a responsibility or an action is called, from its log."""
    for e in effective(log):
        if isinstance(e, ResponsibilityAssigned | ResponsibilityTransferred | ActionCommitted):
            return e.description
    return None
