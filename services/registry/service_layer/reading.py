"""How handlers read: streams as corrected and folded, bodies locked before they are read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from schemas.corrections import effective
from schemas.streams import PREFIXES, organisation_stream, parse, recommendation_stream
from services.registry.domain import organisation as org
from services.registry.domain import responsibility, review
from services.registry.domain.commands import AnyCommand, RecordRecommendation
from services.registry.domain.history import Fold, known
from services.registry.service_layer.ports import UnitOfWork

S = TypeVar("S")


async def load(uow: UnitOfWork, stream_id: str, fold: Fold[S]) -> S | None:
    """The stream's state as corrected, with the stream's stored version (appends follow it)."""
    stored = await uow.events.load(stream_id)
    state: S | None = None
    for event in effective(stored):
        state = fold(state, event)
    if state is not None and stored:
        state = replace(state, version=stored[-1].stream_version)  # type: ignore[type-var]
    return state


async def organisations(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, org.Organisation | None]:
    """The named bodies, locked (shared) first so that what a decision checks about them (not
    dissolved, say) still holds at commit."""
    unique = list(dict.fromkeys(ids))
    await uow.events.lock(shared=[organisation_stream(i) for i in unique])
    return {i: await load(uow, organisation_stream(i), org.apply) for i in unique}


async def recommendation(uow: UnitOfWork, rec_id: str) -> review.Recommendation | None:
    return await load(uow, recommendation_stream(rec_id), review.apply_recommendation)


async def require_cited_recommendation(uow: UnitOfWork, cmd: AnyCommand) -> None:
    """Commands that cite a recommendation must cite a real one."""
    rec_id = getattr(cmd, "recommendation_id", None)
    if rec_id is not None and not isinstance(cmd, RecordRecommendation):
        known(await recommendation(uow, rec_id), "recommendation", rec_id)


async def ancestors(uow: UnitOfWork, body: org.Organisation | None) -> list[str]:
    """The bodies ``body`` is part of, nearest first (bounded, in case data already loops)."""
    chain: list[str] = []
    while body is not None and body.parent_id and len(chain) < 100:
        chain.append(body.parent_id)
        body = await load(uow, organisation_stream(body.parent_id), org.apply)
    return chain


Holding = responsibility.Responsibility | responsibility.Action


async def holdings(uow: UnitOfWork, organisation_id: str) -> dict[str, Holding]:
    """What the body holds in effect now: responsibility and action streams, with the state
    of each (folded from the streams that ever named it)."""
    held: dict[str, Holding] = {}
    for stream_id in await uow.events.streams_naming(
        organisation_id, (PREFIXES["responsibilities"], PREFIXES["actions"])
    ):
        if stream_id.startswith(PREFIXES["responsibilities"]):
            duty = await load(uow, stream_id, responsibility.apply_responsibility)
            if duty is not None and duty.holder_id == organisation_id:
                held[stream_id] = duty
        else:
            action = await load(uow, stream_id, responsibility.apply_action)
            if action is not None and action.owner_id == organisation_id:
                held[stream_id] = action
    return held


FOLDS: dict[str, Fold[Any]] = {
    "organisations": org.apply,
    "responsibilities": responsibility.apply_responsibility,
    "actions": responsibility.apply_action,
    "recommendations": review.apply_recommendation,
    "reviews": review.apply_review,
}
"""The fold of each kind of aggregate."""


def fold_for(stream_id: str) -> Fold[Any]:
    """The fold of the aggregate a stream belongs to (``ValueError`` for an unknown kind)."""
    return FOLDS[parse(stream_id)[0]]
