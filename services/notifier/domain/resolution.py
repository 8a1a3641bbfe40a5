"""Who an event affects, and why.

:func:`resolve` first collects the bodies the event names (direct reasons), then widens the set
with what the notifier knows: the parent of a body that became part of another
(``child_affected``), the successors of a dissolved body (``predecessor_affected``) and, kept
apart because only some subscriptions ask for it, the body each one is accountable to
(``oversight``). Knowledge is the state *before* the event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.envelope import DomainEvent
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
    OrganisationRenamed,
)
from schemas.responsibilities import (
    ActionCommitted,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import GovernmentResponse, ImplementationProgressRecorded
from services.notifier.domain.knowledge import Knowledge
from services.notifier.domain.reasons import Reason

MAX_DEPTH = 8
"""How far parent/successor chains are followed (guards against cycles in bad data)."""

Reasons = dict[str, set[Reason]]


@dataclass(frozen=True)
class Affected:
    """Reasons per organisation; ``oversight`` holds bodies told only if they opt in."""

    reasons: dict[str, frozenset[Reason]] = field(default_factory=dict)
    oversight: frozenset[str] = frozenset()

    def for_subscriber(self, organisation_id: str, include_oversight: bool) -> frozenset[Reason]:
        """The reasons a subscription of ``organisation_id`` receives (empty: not affected)."""
        found = set(self.reasons.get(organisation_id, ()))
        if include_oversight and organisation_id in self.oversight:
            found.add(Reason.OVERSIGHT)
        return frozenset(found)

    def organisations(self, include_oversight: bool = True) -> frozenset[str]:
        return frozenset(self.reasons) | (self.oversight if include_oversight else frozenset())


def resolve(event: DomainEvent, known: Knowledge) -> Affected:
    """The organisations ``event`` affects, with their reasons."""
    direct: Reasons = defaultdict(set)
    for org, reason in _direct(event, known):
        direct[org].add(reason)
    widened = _widen(direct, known)
    oversight = {
        target
        for org in widened
        if (target := known.org(org).accountable_to_id) and target not in widened
    }
    return Affected(
        {org: frozenset(rs) for org, rs in widened.items()},
        frozenset(oversight),
    )


def _direct(event: DomainEvent, known: Knowledge) -> Iterable[tuple[str, Reason]]:
    match event:
        case ResponsibilityTransferred():
            previous = event.from_id or known.holders.get(event.responsibility_id)
            if previous and previous != event.to_id:
                yield previous, Reason.RESPONSIBILITY_LOST
            yield event.to_id, Reason.RESPONSIBILITY_GAINED
            if event.instead_of_id:
                yield event.instead_of_id, Reason.PROPOSAL_NOT_FOLLOWED
        case ResponsibilityAssigned():
            yield event.holder_id, Reason.RESPONSIBILITY_ASSIGNED
        case ActionCommitted():
            yield event.owner_id, Reason.ACTION_COMMITTED
        case OrganisationRegistered() | OrganisationRenamed():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
        case OrganisationMerged():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield event.parent_id, Reason.PART_ADDED
        case OrganisationDissolved():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield from ((s, Reason.SUCCESSOR_NAMED) for s in event.successor_ids)
        case AccountabilityAssigned():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield event.accountable_to_id, Reason.ACCOUNTABILITY_GAINED
        case GovernmentResponse():
            yield from _response(event, known)
        case ImplementationProgressRecorded():
            yield from ((org, Reason.DELIVERY_UPDATED) for org in _delivery_bodies(event, known))


def _response(event: GovernmentResponse, known: Knowledge) -> Iterable[tuple[str, Reason]]:
    before = known.recs.get(event.recommendation_id)
    leads = dict.fromkeys((*event.lead_ids, *(before.lead_ids if before else ())))
    supporters = dict.fromkeys((*event.supporting_ids, *(before.supporting_ids if before else ())))
    yield from ((org, Reason.LEAD_RESPONSE_RECORDED) for org in leads)
    yield from ((org, Reason.SUPPORTER_RESPONSE_RECORDED) for org in supporters)


def _delivery_bodies(event: ImplementationProgressRecorded, known: Knowledge) -> list[str]:
    if event.action_id is not None:
        owner = known.owners.get(event.action_id)
        return [owner] if owner else []
    rec = known.recs.get(event.recommendation_id or "")
    return [*rec.lead_ids, *rec.supporting_ids] if rec else []


def _widen(direct: Reasons, known: Knowledge) -> Reasons:
    """Add parents (``child_affected``) and successors (``predecessor_affected``), transitively."""
    out: Reasons = defaultdict(set, {org: set(rs) for org, rs in direct.items()})
    frontier = list(direct)
    seen = set(frontier)
    for _ in range(MAX_DEPTH):
        following: list[str] = []
        for org in frontier:
            facts = known.org(org)
            related = [(facts.parent_id, Reason.CHILD_AFFECTED)] if facts.parent_id else []
            if facts.dissolved:
                related += [(s, Reason.PREDECESSOR_AFFECTED) for s in facts.successor_ids]
            for other, reason in related:
                out[other].add(reason)
                if other not in seen:
                    seen.add(other)
                    following.append(other)
        if not following:
            break
        frontier = following
    return out
