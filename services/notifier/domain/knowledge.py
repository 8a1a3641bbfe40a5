"""What the notifier knows about organisations, recommendations, actions and responsibilities.

A small fold over the events it consumes: enough to resolve parents, oversight bodies,
successors, leads and supporters. :func:`evolve` returns only the records an event changes, so
the adapter can upsert them in the same transaction as the delivery jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from schemas.catalogue import ORGANISATION_FIELDS, ORGANISATION_LIST_FIELDS
from schemas.envelope import DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
)
from schemas.responsibilities import (
    ActionCommitted,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import GovernmentResponse


@dataclass(frozen=True)
class OrgFacts:
    organisation_id: str
    parent_id: str | None = None
    accountable_to_id: str | None = None
    dissolved: bool = False
    successor_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecFacts:
    recommendation_id: str
    lead_ids: tuple[str, ...] = ()
    supporting_ids: tuple[str, ...] = ()


@dataclass
class Knowledge:
    """A snapshot, keyed by id; ``holders`` maps responsibility id and ``owners`` action id."""

    orgs: dict[str, OrgFacts] = field(default_factory=dict)
    recs: dict[str, RecFacts] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def org(self, organisation_id: str) -> OrgFacts:
        return self.orgs.get(organisation_id) or OrgFacts(organisation_id)

    def merge(self, other: Knowledge) -> None:
        self.orgs.update(other.orgs)
        self.recs.update(other.recs)
        self.holders.update(other.holders)
        self.owners.update(other.owners)


def evolve(known: Knowledge, event: DomainEvent) -> Knowledge:
    """The records ``event`` changes (a partial :class:`Knowledge`), given what is known."""
    out = Knowledge()
    match event:
        case OrganisationRegistered():
            out.orgs[event.organisation_id] = known.org(event.organisation_id)
        case OrganisationMerged():
            org = known.org(event.organisation_id)
            out.orgs[org.organisation_id] = replace(org, parent_id=event.parent_id)
        case OrganisationDissolved():
            org = known.org(event.organisation_id)
            out.orgs[org.organisation_id] = replace(
                org, dissolved=True, successor_ids=tuple(event.successor_ids)
            )
        case AccountabilityAssigned():
            org = known.org(event.organisation_id)
            out.orgs[org.organisation_id] = replace(org, accountable_to_id=event.accountable_to_id)
        case GovernmentResponse():
            out.recs[event.recommendation_id] = RecFacts(
                event.recommendation_id, tuple(event.lead_ids), tuple(event.supporting_ids)
            )
        case ResponsibilityAssigned():
            out.holders[event.responsibility_id] = event.holder_id
        case ResponsibilityTransferred():
            out.holders[event.responsibility_id] = event.to_id
        case ActionCommitted():
            out.owners[event.action_id] = event.owner_id
    return out


def fold(events: list[DomainEvent]) -> Knowledge:
    """Knowledge after ``events``, in order (tests and rebuilds)."""
    known = Knowledge()
    for event in events:
        known.merge(evolve(known, event))
    return known


def referenced_ids(event: DomainEvent) -> tuple[set[str], set[str], set[str], set[str]]:
    """(organisation, recommendation, responsibility, action) ids whose facts resolving needs."""
    data = event.model_dump()
    orgs = {str(data[k]) for k in ORGANISATION_FIELDS if data.get(k)}
    for k in ORGANISATION_LIST_FIELDS:
        orgs.update(data.get(k) or ())
    recs = {str(data["recommendation_id"])} if data.get("recommendation_id") else set()
    resp = {str(data["responsibility_id"])} if data.get("responsibility_id") else set()
    acts = {str(data["action_id"])} if data.get("action_id") else set()
    return orgs, recs, resp, acts
