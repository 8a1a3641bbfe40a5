"""The fold: one rule per event type, shared by the live consumer, the rebuild and as-of reads.

``apply(world, positioned)`` mutates the documents of ``world`` that the event concerns. The
caller must have loaded (at least) the documents named by :func:`refs`. A rule writes only its
stream's document (and placeholders for bodies it names); the one read of another document is
a hand-over keeping its bodies' names as they were. As-of reads rely on this to fold only the
streams a view needs (:mod:`~services.projections.domain.needs`). Per-stream order is
checked against each document's stream version: a version already applied is skipped (a
duplicate), a missing version raises :class:`StreamOutOfOrder` when ``strict``; as-of-by-date
folds are lenient because filtering by date may leave holes in a stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel

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
from schemas.reviews import (
    GovernmentResponse,
    ImplementationProgressRecorded,
    RecommendationAdapted,
    RecommendationRecorded,
    RecommendationRejected,
    ReviewPublished,
)
from schemas.wire import PositionedEvent
from services.projections.domain.model import (
    Action,
    Delivery,
    Doc,
    FormerName,
    Handover,
    Organisation,
    Progress,
    Recommendation,
    Response,
    Responsibility,
    Review,
    World,
)
from services.projections.domain.refs import RESPONSE_KINDS, stream_of
from services.projections.errors import StreamOutOfOrder

Rule = Callable[[World, Any, int], None]
D = TypeVar("D", bound=Doc)


def apply(world: World, positioned: PositionedEvent, *, strict: bool = True) -> bool:
    """Fold one event into ``world``; return False when it was already applied (a duplicate)."""
    event, position = positioned.event, positioned.position
    kind, entity_id = stream_of(event.stream_id)
    found: Doc | None = getattr(world, kind).get(entity_id)
    version = found.version if found is not None else 0
    if event.stream_version <= version:
        return False
    if strict and event.stream_version != version + 1:
        raise StreamOutOfOrder(
            f"{event.stream_id} is at version {version}; got version {event.stream_version}"
        )
    _RULES[type(event)](world, event, position)
    doc = _stream_doc(world, kind, entity_id)
    doc.version = event.stream_version
    doc.last_position = position
    return True


def apply_isolated(world: World, positioned: PositionedEvent, *, strict: bool = True) -> bool:
    """:func:`apply`, leaving ``world`` untouched if the rule raises.

    A rule writes only its stream's document and adds documents (placeholders; it never
    removes one), so that document is saved as it is before the rule runs and the size of
    each collection noted: if the rule raises, the document is put back in place and the
    documents added since (the last ones of each dict) are taken out.
    """
    kind, entity_id = stream_of(positioned.event.stream_id)
    found: Doc | None = getattr(world, kind).get(entity_id)
    saved = _save(found) if found is not None else None
    sizes = [len(collection) for collection in _collections(world)]
    try:
        return apply(world, positioned, strict=strict)
    except Exception:
        for collection, size in zip(_collections(world), sizes, strict=True):
            for added in list(collection)[size:]:
                del collection[added]
        if saved is not None:
            _restore(saved)
        raise


def _collections(world: World) -> tuple[dict[str, Any], ...]:
    return (
        world.organisations,
        world.reviews,
        world.recommendations,
        world.responsibilities,
        world.actions,
    )


_Saved = tuple[BaseModel, dict[str, Any], set[str], list[Any]]


def _save(model: BaseModel) -> _Saved:
    """What :func:`_restore` needs to put ``model`` back as it is now, in place.

    Rules assign fields, append to lists and edit nested documents (a delivery); they never
    edit an element already in a list (history entries are immutable once written), so
    elements are shared rather than copied: a deep copy per event made the rebuild quadratic
    in practice (every transfer copied the whole lineage). Only the fields whose type admits
    a list or a model are looked into (:func:`_containers`).
    """
    state = dict(model.__dict__)
    inner: list[Any] = []
    for name in _containers(type(model)):
        value = state[name]
        if type(value) is list:
            inner.append((value, list(value)))
        elif isinstance(value, BaseModel):
            inner.append(_save(value))
    return model, state, set(model.__pydantic_fields_set__), inner


_CONTAINERS: dict[type[BaseModel], tuple[str, ...]] = {}


def _containers(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose annotation admits a list or a model."""
    found = _CONTAINERS.get(cls)
    if found is None:
        fields = cls.model_fields.items()
        found = _CONTAINERS[cls] = tuple(n for n, f in fields if _may_contain(f.annotation))
    return found


def _may_contain(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_may_contain(arg) for arg in get_args(annotation))


def _restore(saved: _Saved) -> BaseModel:
    model, state, fields_set, inner = saved
    model.__dict__.clear()
    model.__dict__.update(state)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    for item in inner:
        if len(item) == 2:
            item[0][:] = item[1]
        else:
            _restore(item)
    return model


def fold(events: list[PositionedEvent], *, strict: bool = True) -> World:
    """The world after ``events`` (in position order); events that cannot apply are left out."""
    return fold_into(World(), events, strict=strict)


def fold_into(world: World, events: list[PositionedEvent], *, strict: bool = True) -> World:
    """:func:`fold` onto ``world`` (as-of reads add streams to a world step by step).

    No snapshot per event: :func:`apply` refuses an out-of-order event before it changes
    anything, and any other error ends the fold.
    """
    for positioned in sorted(events, key=lambda p: p.position):
        try:
            apply(world, positioned, strict=strict)
        except StreamOutOfOrder:
            continue
    return world


def _stream_doc(world: World, kind: str, entity_id: str) -> Doc:
    if kind == "organisations":
        return _org(world, entity_id)
    collection: dict[str, Doc] = getattr(world, kind)
    if entity_id not in collection:
        collection[entity_id] = _DOC_CLASSES[kind](id=entity_id)
    return collection[entity_id]


def _org(world: World, org_id: str) -> Organisation:
    """:meth:`World.org` without building a placeholder when the body is there already."""
    found = world.organisations.get(org_id)
    return found if found is not None else world.org(org_id)


def _doc(collection: dict[str, D], entity_id: str, cls: type[D]) -> D:
    """``collection.setdefault(entity_id, cls(id=entity_id))``, building only when missing."""
    found = collection.get(entity_id)
    if found is None:
        found = collection[entity_id] = cls(id=entity_id)
    return found


_DOC_CLASSES: dict[str, type[Doc]] = {
    "reviews": Review,
    "recommendations": Recommendation,
    "responsibilities": Responsibility,
    "actions": Action,
}


def _registered(world: World, e: OrganisationRegistered, position: int) -> None:
    org = _org(world, e.organisation_id)
    org.name, org.kind, org.abbreviation = e.name, e.kind.value, e.abbreviation
    org.description, org.member_count = e.description, e.member_count
    org.members_known, org.registered_position = e.members_known, position


def _renamed(world: World, e: OrganisationRenamed, position: int) -> None:
    org = _org(world, e.organisation_id)
    former = FormerName(
        name=e.previous_name, until_position=position, occurred_at=e.occurred_at, reason=e.reason
    )
    org.former_names.append(former)
    org.name = e.new_name


def _merged(world: World, e: OrganisationMerged, position: int) -> None:
    _org(world, e.parent_id)
    org = _org(world, e.organisation_id)
    org.status, org.parent_id, org.keeps_identity = "part_of_another", e.parent_id, e.keeps_identity
    org.merge_reason, org.status_recommendation_id = e.reason, e.recommendation_id


def _dissolved(world: World, e: OrganisationDissolved, position: int) -> None:
    org = _org(world, e.organisation_id)
    org.status, org.successor_ids = "dissolved", list(e.successor_ids)
    org.disposition, org.status_recommendation_id = e.disposition, e.recommendation_id


def _accountable(world: World, e: AccountabilityAssigned, position: int) -> None:
    _org(world, e.accountable_to_id)
    _org(world, e.organisation_id).accountable_to_id = e.accountable_to_id


def _published(world: World, e: ReviewPublished, position: int) -> None:
    review = _doc(world.reviews, e.review_id, Review)
    review.title, review.author, review.published_on = e.title, e.author, e.published_on
    review.recommendation_count, review.summary = e.recommendation_count, e.summary


def _recorded(world: World, e: RecommendationRecorded, position: int) -> None:
    rec = _doc(world.recommendations, e.recommendation_id, Recommendation)
    rec.review_id, rec.number, rec.text = e.review_id, e.number, e.text
    rec.parent_id, rec.cross_references = e.parent_id, list(e.cross_references)


def _responded(world: World, e: GovernmentResponse, position: int) -> None:
    rec = _doc(world.recommendations, e.recommendation_id, Recommendation)
    if rec.response is not None:
        rec.revisions.append(rec.response)
    rec.response = Response(
        kind=RESPONSE_KINDS[e.type],
        text=e.response_text,
        changes=list(e.changes) if isinstance(e, RecommendationAdapted) else [],
        alternative=e.alternative if isinstance(e, RecommendationRejected) else None,
        lead_ids=list(e.lead_ids),
        supporting_ids=list(e.supporting_ids),
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
        rec_id = e.recommendation_id
        return _doc(world.recommendations, rec_id, Recommendation).delivery
    action_id = str(e.action_id)
    return _doc(world.actions, action_id, Action).delivery


def _handover(
    world: World, e: ResponsibilityAssigned | ResponsibilityTransferred, pos: int
) -> None:
    resp = _doc(world.responsibilities, e.responsibility_id, Responsibility)
    if isinstance(e, ResponsibilityAssigned):
        kind, from_id, to_id, instead_of = "assigned", None, e.holder_id, None
    else:
        kind, from_id, to_id, instead_of = "transferred", e.from_id, e.to_id, e.instead_of_id
    for org_id in (from_id, to_id, instead_of):
        if org_id is not None:
            _org(world, org_id)
    resp.description, resp.holder_id = e.description, to_id
    resp.handovers.append(
        Handover(
            kind=kind,
            from_id=from_id,
            from_name=world.org_name(from_id),
            to_id=to_id,
            to_name=world.org_name(to_id),
            instead_of_id=instead_of,
            instead_of_name=world.org_name(instead_of),
            reason=e.reason,
            recommendation_id=e.recommendation_id,
            position=pos,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
        )
    )


def _action(world: World, e: ActionCommitted, position: int) -> None:
    _org(world, e.owner_id)
    action = _doc(world.actions, e.action_id, Action)
    action.owner_id, action.description = e.owner_id, e.description
    action.review_id, action.recommendation_id = e.review_id, e.recommendation_id


_RULES: dict[type[DomainEvent], Rule] = {
    OrganisationRegistered: _registered,
    OrganisationRenamed: _renamed,
    OrganisationMerged: _merged,
    OrganisationDissolved: _dissolved,
    AccountabilityAssigned: _accountable,
    ReviewPublished: _published,
    RecommendationRecorded: _recorded,
    ImplementationProgressRecorded: _progress,
    ResponsibilityAssigned: _handover,
    ResponsibilityTransferred: _handover,
    ActionCommitted: _action,
}
for _response_type in GovernmentResponse.__subclasses__():
    _RULES[_response_type] = _responded
