"""What the notifier knows about organisations, recommendations, responsibilities and actions.

Per stream, the events that matter for resolving who an event affects, as corrected: a short
log (registration and changes of a body; the recording and responses of a recommendation; the
moves of a responsibility or an action). The facts resolution reads (a body's parent now, the
bodies a recommendation names, a duty's holder, pending announcements) are folds of these logs,
with the same rules as everywhere (:func:`schemas.corrections.effective`,
:func:`schemas.changes.route`), so an announcement changes nothing until it takes effect and a
correction changes what is known as if the corrected events had been recorded so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from schemas.catalogue import corrected_events, named_ids
from schemas.changes import ChangeTookEffect, ChangeWithdrawn, StagedChange, route
from schemas.corrections import RecordsCorrected, effective
from schemas.envelope import DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
)
from schemas.responsibilities import (
    ActionCommitted,
    ActionTransferred,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import GovernmentResponse, RecommendationRecorded
from schemas.streams import (
    ID_FIELDS,
    PREFIXES,
    organisation_stream,
    recommendation_stream,
    stream_id,
)

KNOWN_KINDS = ("organisations", "recommendations", "responsibilities", "actions")
"""The streams whose events the notifier keeps: what alerts name and explain."""

KNOWN_PREFIXES = tuple(PREFIXES[k] for k in KNOWN_KINDS)

Log = tuple[DomainEvent, ...]


@dataclass(frozen=True)
class OrgFacts:
    organisation_id: str
    parent_id: str | None = None
    accountable_to_id: str | None = None
    dissolved: bool = False
    successor_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecFacts:
    """The bodies a recommendation names (its text's roles and its own response's), by role."""

    recommendation_id: str
    roles: tuple[tuple[str, str], ...] = ()
    parent_id: str | None = None

    def with_role(self, *roles: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for o, r in self.roles if r in roles))


def relevant(event: DomainEvent) -> bool:
    """Whether ``event`` belongs in its stream's log (progress, for one, does not)."""
    return isinstance(
        event,
        StagedChange
        | ChangeTookEffect
        | ChangeWithdrawn
        | RecordsCorrected
        | RecommendationRecorded
        | GovernmentResponse
        | ActionCommitted,
    )


def in_effect(log: Log) -> tuple[list[StagedChange], tuple[StagedChange, ...]]:
    """The changes in effect, in the order they took effect, and those still announced."""
    pending: tuple[StagedChange, ...] = ()
    done: list[StagedChange] = []
    for event in effective(log):
        pending, change = route(pending, event)
        if change is not None:
            done.append(change)
    return done, pending


@dataclass
class Knowledge:
    """Logs by stream id; ``changed`` names the streams whose logs changed (to be stored)."""

    logs: dict[str, Log] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    def log(self, stream_id: str) -> Log:
        return self.logs.get(stream_id, ())

    def org(self, organisation_id: str) -> OrgFacts:
        facts = OrgFacts(organisation_id)
        done, _ = in_effect(self.log(organisation_stream(organisation_id)))
        for change in done:
            if isinstance(change, OrganisationMerged):
                facts = replace(facts, parent_id=change.parent_id)
            elif isinstance(change, AccountabilityAssigned):
                facts = replace(facts, accountable_to_id=change.accountable_to_id)
            elif isinstance(change, OrganisationDissolved):
                facts = replace(facts, dissolved=True, successor_ids=tuple(change.successor_ids))
        return facts

    def rec(self, recommendation_id: str) -> RecFacts | None:
        log = effective(self.log(recommendation_stream(recommendation_id)))
        if not log:
            return None
        roles: list[tuple[str, str]] = []
        parent: str | None = None
        response: GovernmentResponse | None = None
        for event in log:
            if isinstance(event, RecommendationRecorded):
                roles = [(r.organisation_id, r.role.value) for r in event.roles]
                parent = event.parent_id
            elif isinstance(event, GovernmentResponse):
                response = event
        if response is not None:
            roles += [(r.organisation_id, r.role.value) for r in response.roles]
        return RecFacts(recommendation_id, tuple(roles), parent)

    def holder(self, responsibility_id: str) -> str | None:
        return _holder(self.log(f"responsibility-{responsibility_id}"))

    def owner(self, action_id: str) -> str | None:
        return _holder(self.log(f"action-{action_id}"))

    def announcement(self, stream_id: str, event_id: str) -> StagedChange | None:
        """The pending announcement of ``stream_id`` with this id (before it is settled)."""
        _, pending = in_effect(self.log(stream_id))
        return next((c for c in pending if str(c.event_id) == event_id), None)

    def merge(self, other: Knowledge) -> None:
        self.logs.update(other.logs)
        self.changed |= other.changed


def _holder(log: Log) -> str | None:
    holder: str | None = None
    for event in effective(log):
        if isinstance(event, ActionCommitted):
            holder = event.owner_id
    done, _ = in_effect(log)
    for change in done:
        if isinstance(change, ResponsibilityAssigned):
            holder = change.holder_id
        elif isinstance(change, ResponsibilityTransferred | ActionTransferred):
            holder = change.to_id
    return holder


def evolve(known: Knowledge, event: DomainEvent) -> Knowledge:
    """The logs ``event`` changes (a partial :class:`Knowledge`), given what is known."""
    out = Knowledge()
    if relevant(event) and event.stream_id.startswith(KNOWN_PREFIXES):
        out.logs[event.stream_id] = (*known.log(event.stream_id), event)
        out.changed.add(event.stream_id)
    return out


def fold(events: Iterable[DomainEvent]) -> Knowledge:
    """Knowledge after ``events``, in order (tests and rebuilds)."""
    known = Knowledge()
    for event in events:
        known.merge(evolve(known, event))
    return known


def referenced_streams(event: DomainEvent) -> set[str]:
    """The streams whose logs resolving ``event`` reads: its own, the bodies it names (and,
    for a correction, those its events name), the recommendation, responsibility or action it
    concerns."""
    streams = {event.stream_id}
    nested = corrected_events(event) if isinstance(event, RecordsCorrected) else []
    for one in (event, *nested):
        streams |= {organisation_stream(i) for i in named_ids(one)}
        for kind in ("recommendations", "responsibilities", "actions"):
            value = one.__dict__.get(ID_FIELDS[kind])
            if isinstance(value, str):
                streams.add(stream_id(kind, value))
    return {s for s in streams if s.startswith(KNOWN_PREFIXES)}
