"""One rule per event type: what a fact does to its stream's document.

A change that may be announced goes through :func:`schemas.changes.route` (the one rule for
announcements): it is recorded in the document's history with its stage, kept as pending while
announced, and changes the current state only once in effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from schemas.catalogue import named_ids
from schemas.changes import ChangeTookEffect, ChangeWithdrawn, StagedChange, route
from schemas.corrections import RecordsCorrected
from schemas.envelope import DomainEvent, Source
from schemas.organisations import (
    AccountabilityAssigned,
    OrganisationDissolved,
    OrganisationMerged,
    OrganisationRegistered,
    OrganisationRenamed,
)
from schemas.responsibilities import (
    ActionCommitted,
    ActionTransferred,
    ResponsibilityAssigned,
    ResponsibilityTransferred,
)
from schemas.reviews import (
    RESPONSE_KINDS,
    GovernmentResponse,
    ImplementationProgressRecorded,
    RecommendationAdapted,
    RecommendationRecorded,
    RecommendationRejected,
    ReviewPublished,
)
from schemas.streams import parse
from schemas.upcasting import decode
from schemas.wire import PositionedEvent
from services.projections.domain.model import (
    ANNOUNCED,
    IN_EFFECT,
    TOOK_EFFECT,
    WITHDRAWN,
    Action,
    Change,
    CorrectedRecord,
    CorrectionEntry,
    Delivery,
    Doc,
    FormerName,
    Organisation,
    Progress,
    Recommendation,
    Response,
    Responsibility,
    Review,
    Role,
    SourceRef,
    World,
)

Rule = Callable[[World, Any, int], None]

CHANGES: dict[type[StagedChange], str] = {
    OrganisationRegistered: "establishment",
    OrganisationRenamed: "rename",
    OrganisationMerged: "merge",
    OrganisationDissolved: "dissolution",
    AccountabilityAssigned: "accountability",
    ResponsibilityAssigned: "assignment",
    ResponsibilityTransferred: "transfer",
    ActionTransferred: "transfer",
}
"""The name of each kind of change, as histories show it."""

_DETAILS: dict[type[StagedChange], tuple[str, ...]] = {
    OrganisationRegistered: (),
    OrganisationRenamed: ("previous_name", "new_name"),
    OrganisationMerged: ("parent_id", "keeps_identity"),
    OrganisationDissolved: ("scope", "successor_ids", "disposition"),
    AccountabilityAssigned: ("accountable_to_id", "previous_accountable_to_id"),
    ResponsibilityAssigned: ("holder_id",),
    ResponsibilityTransferred: ("from_id", "to_id", "instead_of_id"),
    ActionTransferred: ("from_id", "to_id"),
}


def org(world: World, org_id: str) -> Organisation:
    """The organisation, without building a placeholder when it is there already."""
    found = world.organisations.get(org_id)
    return found if found is not None else world.org(org_id)


D = TypeVar("D", bound=Doc)


def _doc(collection: dict[str, D], entity_id: str, cls: type[D]) -> D:
    found = collection.get(entity_id)
    if found is None:
        found = collection[entity_id] = cls(id=entity_id)
    return found


def source_ref(source: Source) -> SourceRef:
    return SourceRef(document=source.document, passage=source.passage, locator=source.locator)


def _placeholders(world: World, event: DomainEvent) -> None:
    for org_id in named_ids(event):
        org(world, org_id)


# --- changes that may be announced -------------------------------------------------------


def _staged_doc(world: World, event: DomainEvent) -> Organisation | Responsibility | Action:
    kind, entity_id = parse(event.stream_id)
    if kind == "organisations":
        return org(world, entity_id)
    if kind == "responsibilities":
        return _doc(world.responsibilities, entity_id, Responsibility)
    return _doc(world.actions, entity_id, Action)


def _history(doc: Organisation | Responsibility | Action) -> list[Change]:
    if isinstance(doc, Organisation):
        return doc.changes
    return doc.handovers if isinstance(doc, Responsibility) else doc.moves


def _change_entry(change: StagedChange, position: int, stage: str) -> Change:
    return Change(
        change=CHANGES[type(change)],
        stage=stage,
        event_id=str(change.event_id),
        position=position,
        expected_on=change.expected_on,
        settled_position=None,
        withdrawal_reason=None,
        details={name: _plain(getattr(change, name)) for name in _DETAILS[type(change)]},
        recommendation_id=getattr(change, "recommendation_id", None),
        reason=getattr(change, "reason", None),
        source=source_ref(change.source),
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _staged(world: World, event: StagedChange, position: int) -> None:
    """Record the change with its stage; keep it pending or put it in effect."""
    _placeholders(world, event)
    doc = _staged_doc(world, event)
    if isinstance(event, OrganisationRegistered):
        _registered(world, event, position)
    _, change = route((), event)
    if change is None:
        doc.pending.append(event.model_dump(mode="json"))
    if event.announced or not isinstance(event, OrganisationRegistered):
        _history(doc).append(
            _change_entry(event, position, ANNOUNCED if event.announced else IN_EFFECT)
        )
    if change is not None:
        _IN_EFFECT[type(change)](world, doc, change, position)


def _settled(world: World, event: ChangeTookEffect | ChangeWithdrawn, position: int) -> None:
    """An announcement took effect or was withdrawn: its history entry says so (a new entry in
    its place), and a change that took effect changes the state from this fact on."""
    doc = _staged_doc(world, event)
    pending = tuple(decode(p) for p in doc.pending)
    _, change = route(pending, event)  # type: ignore[arg-type]
    announced = str(event.announced_event_id)
    doc.pending = [p for p in doc.pending if p.get("event_id") != announced]
    history = _history(doc)
    for i, entry in enumerate(history):
        if entry.event_id == announced and entry.stage == ANNOUNCED:
            withdrawn = event.reason if isinstance(event, ChangeWithdrawn) else None
            history[i] = entry.model_copy(
                update={
                    "stage": WITHDRAWN if withdrawn is not None else TOOK_EFFECT,
                    "settled_position": position,
                    "withdrawal_reason": withdrawn,
                }
            )
    if change is not None:
        _IN_EFFECT[type(change)](world, doc, change, position)


def _established(world: World, doc: Any, change: Any, position: int) -> None:
    doc.status = "active"


def _renamed(world: World, doc: Any, change: Any, position: int) -> None:
    doc.former_names.append(
        FormerName(name=change.previous_name, until_position=position, reason=change.reason)
    )
    doc.name = change.new_name


def _merged(world: World, doc: Any, change: Any, position: int) -> None:
    doc.status, doc.parent_id, doc.keeps_identity = (
        "part_of_another",
        change.parent_id,
        change.keeps_identity,
    )
    doc.merge_reason, doc.status_recommendation_id = change.reason, change.recommendation_id
    doc.status_position = position


def _dissolved(world: World, doc: Any, change: Any, position: int) -> None:
    doc.status, doc.successor_ids = "dissolved", list(change.successor_ids)
    doc.disposition, doc.scope = change.disposition, change.scope
    doc.status_recommendation_id, doc.status_position = change.recommendation_id, position


def _accountable(world: World, doc: Any, change: Any, position: int) -> None:
    doc.accountable_to_id = change.accountable_to_id


def _moved(world: World, doc: Any, change: Any, position: int) -> None:
    if isinstance(change, ResponsibilityAssigned):
        doc.holder_id = change.holder_id
    elif isinstance(change, ResponsibilityTransferred):
        doc.holder_id, doc.description = change.to_id, change.description
    else:
        doc.owner_id = change.to_id


_IN_EFFECT: dict[type[StagedChange], Callable[[World, Any, Any, int], None]] = {
    OrganisationRegistered: _established,
    OrganisationRenamed: _renamed,
    OrganisationMerged: _merged,
    OrganisationDissolved: _dissolved,
    AccountabilityAssigned: _accountable,
    ResponsibilityAssigned: _moved,
    ResponsibilityTransferred: _moved,
    ActionTransferred: _moved,
}


# --- what cannot be announced ----------------------------------------------------------------


def _registered(world: World, e: OrganisationRegistered, position: int) -> None:
    body = org(world, e.organisation_id)
    body.name, body.kind, body.abbreviation = e.name, e.kind.value, e.abbreviation
    body.description, body.member_count = e.description, e.member_count
    body.members_known, body.registered_position = e.members_known, position
    body.status = "not_established" if e.announced else "active"


def _published(world: World, e: ReviewPublished, position: int) -> None:
    review = _doc(world.reviews, e.review_id, Review)
    review.title, review.authors, review.summary = e.title, list(e.authors), e.summary
    review.published_on = e.published.on
    review.published_source = source_ref(e.published.source) if e.published.source else None
    review.response_published_on = e.response_published.on
    fact = e.response_published.source
    review.response_published_source = source_ref(fact) if fact else None
    review.recommendation_count = e.recommendation_count


def _roles(event: RecommendationRecorded | GovernmentResponse) -> list[Role]:
    return [
        Role(
            organisation_id=r.organisation_id,
            role=r.role.value,
            related_id=r.related_id,
            quote=r.quote,
        )
        for r in event.roles
    ]


def _recorded(world: World, e: RecommendationRecorded, position: int) -> None:
    _placeholders(world, e)
    rec = _doc(world.recommendations, e.recommendation_id, Recommendation)
    rec.review_id, rec.number, rec.text = e.review_id, e.number, e.text
    rec.parent_id, rec.cross_references = e.parent_id, list(e.cross_references)
    rec.roles, rec.source = _roles(e), source_ref(e.source)


def _responded(world: World, e: GovernmentResponse, position: int) -> None:
    _placeholders(world, e)
    rec = _doc(world.recommendations, e.recommendation_id, Recommendation)
    if rec.response is not None:
        rec.revisions.append(rec.response)
    rec.response = Response(
        kind=RESPONSE_KINDS[e.type],
        text=e.response_text,
        changes=list(e.changes) if isinstance(e, RecommendationAdapted) else [],
        alternative=e.alternative if isinstance(e, RecommendationRejected) else None,
        roles=_roles(e),
        event_id=str(e.event_id),
        supersedes_event_id=e.supersedes_event_id,
        revision_reason=e.revision_reason,
        position=position,
        occurred_at=e.occurred_at,
        recorded_at=e.recorded_at,
    )


def _progress(world: World, e: ImplementationProgressRecorded, position: int) -> None:
    delivery = _delivery_of(world, e)
    delivery.status = e.status.value
    if e.target_date is not None:
        delivery.target_date = e.target_date
    delivery.claims.append(
        Progress(
            status=e.status.value,
            evidence=e.evidence,
            target_date=e.target_date,
            previous_target_date=e.previous_target_date,
            target_date_change_reason=e.target_date_change_reason,
            claimed_by=e.claim.claimed_by,
            verified_by=e.claim.verified_by,
            position=position,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
        )
    )


def _delivery_of(world: World, e: ImplementationProgressRecorded) -> Delivery:
    if e.recommendation_id is not None:
        delivery: Delivery = _doc(
            world.recommendations, e.recommendation_id, Recommendation
        ).delivery
        return delivery
    action: Action = _doc(world.actions, str(e.action_id), Action)
    return action.delivery


def _action(world: World, e: ActionCommitted, position: int) -> None:
    org(world, e.owner_id)
    action = _doc(world.actions, e.action_id, Action)
    action.owner_id, action.description = e.owner_id, e.description
    action.review_id, action.recommendation_id = e.review_id, e.recommendation_id
    action.committed_position = position


RULES: dict[type[DomainEvent], Rule] = {
    ReviewPublished: _published,
    RecommendationRecorded: _recorded,
    ImplementationProgressRecorded: _progress,
    ActionCommitted: _action,
    ChangeTookEffect: _settled,
    ChangeWithdrawn: _settled,
    **dict.fromkeys(CHANGES, _staged),
    **dict.fromkeys(GovernmentResponse.__subclasses__(), _responded),
}


# --- corrections ----------------------------------------------------------------------------


def describe(event: DomainEvent) -> str:
    """One line saying what an event recorded (for correction trails)."""
    stage = f" ({event.stage.value.replace('_', ' ')})" if isinstance(event, StagedChange) else ""
    fields = [
        f"{name}={_plain(value)}"
        for name in (
            "name",
            "new_name",
            "holder_id",
            "from_id",
            "to_id",
            "parent_id",
            "accountable_to_id",
            "scope",
            "response_text",
            "text",
        )
        if (value := event.__dict__.get(name)) is not None
    ]
    roles = event.__dict__.get("roles")
    if roles:
        fields.append("roles=" + ", ".join(f"{r.organisation_id}:{r.role.value}" for r in roles))
    text = f"{event.type}{stage}: {'; '.join(fields)}"
    return text if len(text) <= 500 else text[:499] + "…"


def correction_entry(positioned: PositionedEvent) -> CorrectionEntry:
    e = positioned.event
    assert isinstance(e, RecordsCorrected)
    records = [
        CorrectedRecord(
            type=r.event.type, stream_version=r.stream_version, before=describe(r.event)
        )
        for r in e.retracted
    ] + [
        CorrectedRecord(
            type=r.event.type,
            stream_version=r.stream_version,
            before=describe(r.event),
            after=describe(r.replacement),
        )
        for r in e.replaced
    ]
    return CorrectionEntry(
        correction_id=str(e.correction_id),
        position=positioned.position,
        recorded_at=e.recorded_at,
        reason=e.reason,
        actor=e.actor,
        source=source_ref(e.source),
        records=sorted(records, key=lambda r: r.stream_version),
    )
