"""The fold: the live consumer, the rebuild and as-of reads apply the same rules.

:func:`apply` folds one stored event into the documents of ``world`` it concerns (the caller
loads at least those :func:`~.refs.refs` names) and says where the fact sits in valid time
(:class:`Placement`). A correction (``RecordsCorrected``) rewrites its stream's facts, so
:func:`correct` takes them and folds the stream's document again from the corrected facts.
:func:`fold_facts` folds facts already corrected (as-of reads). A rule writes only its stream's
document (and placeholders for bodies it names). Per-stream order is checked against each
document's stream version: a version already applied is skipped (a duplicate), a missing one
raises :class:`StreamOutOfOrder` when ``strict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, get_args, get_origin

from pydantic import BaseModel

from schemas.corrections import RecordsCorrected
from schemas.envelope import DomainEvent
from schemas.wire import PositionedEvent
from services.projections.domain import rules
from services.projections.domain.model import DOC_CLASSES, Doc, World
from services.projections.domain.refs import creations_named, stream_of
from services.projections.domain.validity import Valid, lower_bound, own_upper_bound, settle
from services.projections.errors import StreamOutOfOrder


@dataclass(frozen=True)
class Placement:
    """Where a fact sits in valid time before later facts tighten it: its lower bound, its own
    upper bound, and the facts (by position) it depends on."""

    position: int
    lo: datetime | None
    hi: datetime
    depends_on: tuple[int, ...]


class Corrected(NamedTuple):
    """A correction folded (what the store records): the correction, its stream's facts before
    it, and the facts as it leaves them, each placed again (retracted ones gone)."""

    correction: PositionedEvent
    before: list[PositionedEvent]
    after: list[tuple[PositionedEvent, Placement]]


def apply(world: World, positioned: PositionedEvent, *, strict: bool = True) -> Placement | None:
    """Fold one stored event that is not a correction; None when it was already applied."""
    event = positioned.event
    if isinstance(event, RecordsCorrected):
        raise TypeError("a correction needs its stream's facts: use correct()")
    kind, entity_id = stream_of(event.stream_id)
    found: Doc | None = getattr(world, kind).get(entity_id)
    version = found.version if found is not None else 0
    if event.stream_version <= version:
        return None
    if strict and event.stream_version != version + 1:
        raise StreamOutOfOrder(
            f"{event.stream_id} is at version {version}; got version {event.stream_version}"
        )
    placement = _apply_fact(world, positioned)
    doc = stream_doc(world, event.stream_id)
    doc.version, doc.last_position = event.stream_version, positioned.position
    return placement


def correct(world: World, positioned: PositionedEvent, facts: list[PositionedEvent]) -> Corrected:
    """Apply a correction: ``facts`` are its stream's facts before it (fact keys, effective
    content, stream order). The stream's document is folded again from the corrected facts,
    which are returned with their placements; retracted facts are gone from it."""
    event = positioned.event
    assert isinstance(event, RecordsCorrected)
    slots = {fact.event.stream_version: fact for fact in facts}
    for retracted in event.retracted:
        slots.pop(retracted.stream_version, None)
    for replaced in event.replaced:
        key = slots[replaced.stream_version].position
        slots[replaced.stream_version] = PositionedEvent(replaced.replacement, key)
    kind, entity_id = stream_of(event.stream_id)
    old = getattr(world, kind).get(entity_id)
    trail = [*(old.corrections if old is not None else []), rules.correction_entry(positioned)]
    getattr(world, kind)[entity_id] = DOC_CLASSES[kind](id=entity_id, corrections=trail)
    corrected = [slots[v] for v in sorted(slots)]
    placed = [(fact, _apply_fact(world, fact)) for fact in corrected]
    doc = stream_doc(world, event.stream_id)
    doc.version, doc.last_position = event.stream_version, positioned.position
    return Corrected(positioned, facts, placed)


@dataclass
class Replayed:
    """Stored events folded in memory: the world, and the facts as corrected (fact keys, in
    position order) with their placements, and the corrections (what the store keeps)."""

    world: World
    facts: dict[str, list[tuple[PositionedEvent, Placement]]]
    corrections: list[PositionedEvent]
    stored: list[PositionedEvent] = field(default_factory=list)
    """Every stored event folded, corrections included, in position order."""
    placed: dict[int, Placement] = field(default_factory=dict)
    """The latest placement of each stored event (a retracted one keeps its last)."""

    def all_facts(self) -> list[tuple[PositionedEvent, Placement]]:
        found = [placed for stream in self.facts.values() for placed in stream]
        return sorted(found, key=lambda fp: fp[0].position)

    def validity(self) -> dict[int, Valid]:
        """The valid time of every fact (what the store's rows hold)."""
        return settle(
            (f.event.occurred_at, p.position, p.lo, p.hi, p.depends_on) for f, p in self.all_facts()
        )

    def as_of(self, bound_position: int | None = None, moment: datetime | None = None) -> World:
        """The world as the store answers it at a position or a moment (see docs)."""
        valid = self.validity()
        chosen = [
            f
            for f, _ in self.all_facts()
            if (bound_position is None or f.position <= bound_position)
            and (moment is None or valid[f.position].possible_at(moment))
        ]
        world = fold_facts(chosen, self.corrections)
        world.set_validity(valid, moment)
        return world


def replay(events: Iterable[PositionedEvent], *, strict: bool = True) -> Replayed:
    """Fold stored ``events`` (in position order; corrections applied in memory); events that
    cannot apply in order are left out. The reference the stores are held to."""
    done = Replayed(World(), {}, [])
    for positioned in sorted(events, key=lambda p: p.position):
        stream = positioned.event.stream_id
        if isinstance(positioned.event, RecordsCorrected):
            if positioned.event.stream_version > stream_doc(done.world, stream).version:
                before = [fact for fact, _ in done.facts.get(stream, [])]
                done.facts[stream] = correct(done.world, positioned, before).after
                done.placed |= {f.position: p for f, p in done.facts[stream]}
                done.corrections.append(positioned)
                done.stored.append(positioned)
            continue
        try:
            placement = apply(done.world, positioned, strict=strict)
        except StreamOutOfOrder:
            continue
        if placement is not None:
            done.facts.setdefault(stream, []).append((positioned, placement))
            done.placed[positioned.position] = placement
            done.stored.append(positioned)
    return done


def fold(events: Iterable[PositionedEvent], *, strict: bool = True) -> World:
    """The world after stored ``events`` (see :func:`replay`)."""
    return replay(events, strict=strict).world


def fold_facts(
    facts: Iterable[PositionedEvent],
    corrections: Iterable[PositionedEvent] = (),
    world: World | None = None,
) -> World:
    """The world after ``facts`` (corrected already, in position order), with the correction
    trail of ``corrections``; used by as-of reads, which fold a selection of facts."""
    world = world if world is not None else World()
    for fact in sorted(facts, key=lambda f: f.position):
        _apply_fact(world, fact)
    for positioned in sorted(corrections, key=lambda c: c.position):
        doc = stream_doc(world, positioned.event.stream_id)
        doc.corrections.append(rules.correction_entry(positioned))
    return world


def _apply_fact(world: World, fact: PositionedEvent) -> Placement:
    event, position = fact.event, fact.position
    placement = _place(world, event, position)
    rules.RULES[type(event)](world, event, position)
    doc = stream_doc(world, event.stream_id)
    if doc.created_position is None:
        doc.created_position, doc.created_lo = position, placement.lo
    doc.last_fact_position, doc.last_fact_lo = position, placement.lo
    return placement


def _place(world: World, event: DomainEvent, position: int) -> Placement:
    """The fact's dependencies (the stream's previous fact; the fact that created each stream
    it names) and its bounds as far as they are known now."""
    kind, entity_id = stream_of(event.stream_id)
    own: Doc | None = getattr(world, kind).get(entity_id)
    depends: dict[int, datetime | None] = {}
    if own is not None and own.last_fact_position is not None:
        depends[own.last_fact_position] = own.last_fact_lo
    for other_kind, other_id in creations_named(event):
        other: Doc | None = getattr(world, other_kind).get(other_id)
        if other is not None and other.created_position is not None and other is not own:
            depends[other.created_position] = other.created_lo
    lo = lower_bound(event.occurred_at, depends.values())
    hi = own_upper_bound(event.occurred_at, event.recorded_at, lo)
    return Placement(position, lo, hi, tuple(sorted(depends)))


def stream_doc(world: World, stream_id: str) -> Doc:
    """The document of a stream, created (empty) if missing."""
    kind, entity_id = stream_of(stream_id)
    if kind == "organisations":
        return rules.org(world, entity_id)
    collection: dict[str, Doc] = getattr(world, kind)
    found = collection.get(entity_id)
    if found is None:
        found = collection[entity_id] = DOC_CLASSES[kind](id=entity_id)
    return found


def apply_isolated(
    world: World, positioned: PositionedEvent, *, strict: bool = True
) -> Placement | None:
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
    return tuple(getattr(world, kind) for kind in DOC_CLASSES)


_Saved = tuple[BaseModel, dict[str, Any], set[str], list[Any]]


def _save(model: BaseModel) -> _Saved:
    """What :func:`_restore` needs to put ``model`` back as it is now, in place.

    Rules assign fields, append to lists, put a new entry in a list's place and edit nested
    documents (a delivery); they never edit an entry itself (entries are immutable once
    written), so entries are shared rather than copied. Only the fields whose type admits a
    list, a dict or a model are looked into (:func:`_containers`).
    """
    state = dict(model.__dict__)
    inner: list[Any] = []
    for name in _containers(type(model)):
        value = state[name]
        if type(value) is list:
            inner.append((value, list(value)))
        elif type(value) is dict:
            inner.append((value, dict(value)))
        elif isinstance(value, BaseModel):
            inner.append(_save(value))
    return model, state, set(model.__pydantic_fields_set__), inner


_CONTAINERS: dict[type[BaseModel], tuple[str, ...]] = {}


def _containers(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose annotation admits a list, a dict or a model."""
    found = _CONTAINERS.get(cls)
    if found is None:
        fields = cls.model_fields.items()
        found = _CONTAINERS[cls] = tuple(n for n, f in fields if _may_contain(f.annotation))
    return found


def _may_contain(annotation: Any) -> bool:
    if get_origin(annotation) in (list, dict):
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
            if isinstance(item[0], dict):
                item[0].clear()
                item[0].update(item[1])
            else:
                item[0][:] = item[1]
        else:
            _restore(item)
    return model
