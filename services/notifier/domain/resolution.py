"""Who an event affects, and why.

:func:`resolve` first collects the bodies the event names (direct reasons), then widens the set
with what the notifier knows: the parent of a body that became part of another
(``child_affected``), the successors of a dissolved body (``predecessor_affected``) and, kept
apart because only some subscriptions ask for it, the body each one is accountable to
(``oversight``). Knowledge is the state *before* the event. An announced change affects the
bodies it would affect if it were in effect, and says it is announced (``stage``); when it takes
effect or is withdrawn, the same bodies are told again, with that stage. A correction affects
every body the corrected events and their replacements name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas import organisations, responsibilities
from schemas.catalogue import corrected_events, named_ids
from schemas.changes import ChangeTookEffect, ChangeWithdrawn
from schemas.corrections import RecordsCorrected
from schemas.envelope import DomainEvent
from schemas.reviews import (
    GovernmentResponse,
    ImplementationProgressRecorded,
    RecommendationRecorded,
)
from services.notifier.domain.knowledge import Knowledge
from services.notifier.domain.reasons import Reason, Stage, stage_of

MAX_DEPTH = 8
"""How far parent/successor chains are followed (guards against cycles in bad data)."""

Reasons = dict[str, set[Reason]]


@dataclass(frozen=True)
class Affected:
    """Reasons per organisation; ``oversight`` holds bodies told only if they opt in."""

    reasons: dict[str, frozenset[Reason]] = field(default_factory=dict)
    oversight: frozenset[str] = frozenset()
    stage: Stage | None = None

    def for_subscriber(self, organisation_id: str, include_oversight: bool) -> frozenset[Reason]:
        """The reasons a subscription of ``organisation_id`` receives (empty: not affected)."""
        found = set(self.reasons.get(organisation_id, ()))
        if include_oversight and organisation_id in self.oversight:
            found.add(Reason.OVERSIGHT)
        return frozenset(found)

    def organisations(self, include_oversight: bool = True) -> frozenset[str]:
        return frozenset(self.reasons) | (self.oversight if include_oversight else frozenset())


def resolve(event: DomainEvent, known: Knowledge) -> Affected:
    """The organisations ``event`` affects, with their reasons, and the stage of the change."""
    direct: Reasons = defaultdict(set)
    subject, stage = _subject(event, known)
    for org, reason in _direct(subject, known) if subject is not None else ():
        direct[org].add(reason)
    if isinstance(event, RecordsCorrected):
        for org in named_ids(event) | _holders_of(event, known):
            direct[org].add(Reason.RECORD_CORRECTED)
    widened = _widen(direct, known)
    oversight = {
        target
        for org in widened
        if (target := known.org(org).accountable_to_id) and target not in widened
    }
    return Affected(
        {org: frozenset(rs) for org, rs in widened.items()},
        frozenset(oversight),
        stage,
    )


def _subject(event: DomainEvent, known: Knowledge) -> tuple[DomainEvent | None, Stage | None]:
    """The event whose content says who is affected (for a settled announcement: the
    announced change; for a correction: none of its own), and the stage of the change."""
    stage = stage_of(event.type, getattr(event, "stage", None))
    if isinstance(event, ChangeTookEffect | ChangeWithdrawn):
        return known.announcement(event.stream_id, str(event.announced_event_id)), stage
    return (None if isinstance(event, RecordsCorrected) else event), stage


def _holders_of(event: RecordsCorrected, known: Knowledge) -> set[str]:
    """Who holds (in effect) the duty a correction touches: it may no longer, or now."""
    found = {
        holder
        for nested in corrected_events(event)
        for holder in (
            known.holder(getattr(nested, "responsibility_id", "") or ""),
            known.owner(getattr(nested, "action_id", "") or ""),
        )
        if holder
    }
    return found


def _direct(event: DomainEvent, known: Knowledge) -> Iterable[tuple[str, Reason]]:
    match event:
        case responsibilities.ResponsibilityTransferred():
            previous = event.from_id or known.holder(event.responsibility_id)
            if previous and previous != event.to_id:
                yield previous, Reason.RESPONSIBILITY_LOST
            yield event.to_id, Reason.RESPONSIBILITY_GAINED
            if event.instead_of_id:
                yield event.instead_of_id, Reason.PROPOSAL_NOT_FOLLOWED
        case responsibilities.ResponsibilityAssigned():
            yield event.holder_id, Reason.RESPONSIBILITY_ASSIGNED
        case responsibilities.ActionCommitted():
            yield event.owner_id, Reason.ACTION_COMMITTED
        case responsibilities.ActionTransferred():
            yield event.from_id, Reason.ACTION_LOST
            yield event.to_id, Reason.ACTION_GAINED
        case RecommendationRecorded():
            yield from ((r.organisation_id, Reason.NAMED_IN_RECOMMENDATION) for r in event.roles)
        case organisations.OrganisationRegistered() | organisations.OrganisationRenamed():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
        case organisations.OrganisationMerged():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield event.parent_id, Reason.PART_ADDED
        case organisations.OrganisationDissolved():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield from ((s, Reason.SUCCESSOR_NAMED) for s in event.successor_ids)
        case organisations.AccountabilityAssigned():
            yield event.organisation_id, Reason.ORGANISATION_CHANGED
            yield event.accountable_to_id, Reason.ACCOUNTABILITY_GAINED
        case GovernmentResponse():
            yield from _response(event, known)
        case ImplementationProgressRecorded():
            yield from ((org, Reason.DELIVERY_UPDATED) for org in _delivery_bodies(event, known))


_RESPONSE_REASONS = {
    "lead": Reason.LEAD_RESPONSE_RECORDED,
    "supporting": Reason.SUPPORTER_RESPONSE_RECORDED,
}


def _response(event: GovernmentResponse, known: Knowledge) -> Iterable[tuple[str, Reason]]:
    """Every body the response or the recommendation names (a re-decision also tells those the
    earlier one named), by its role there."""
    before = known.rec(event.recommendation_id)
    named = [(r.organisation_id, r.role.value) for r in event.roles]
    named += list(before.roles) if before else []
    for org, role in dict.fromkeys(named):
        yield org, _RESPONSE_REASONS.get(role, Reason.NAMED_RESPONSE_RECORDED)


DELIVERING_ROLES = ("lead", "supporting", "recipient", "subject")
"""The roles of the bodies told about delivery progress on a recommendation: those that
deliver it, and those it is about."""


def _delivery_bodies(event: ImplementationProgressRecorded, known: Knowledge) -> list[str]:
    if event.action_id is not None:
        owner = known.owner(event.action_id)
        return [owner] if owner else []
    rec = known.rec(event.recommendation_id or "")
    if rec is not None and not rec.with_role(*DELIVERING_ROLES) and rec.parent_id:
        rec = known.rec(rec.parent_id)  # a sub-point is delivered by its parent's bodies
    return list(rec.with_role(*DELIVERING_ROLES)) if rec else []


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
