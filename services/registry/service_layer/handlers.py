"""Command handlers: load the streams a decision needs, fold them, decide, append.

Streams are read as corrected (:func:`schemas.corrections.effective`) and folded by the
aggregates' folds, which refuse a history that does not fit. Each handler returns the new
events; :mod:`.command_runner` (alone) and :mod:`.group_commit` (in batches) wrap it in a unit
of work with idempotency and optimistic concurrency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from schemas.envelope import ChangeStage, DomainEvent
from schemas.streams import (
    action_stream,
    organisation_stream,
    parse,
    recommendation_stream,
    responsibility_stream,
    review_stream,
)
from services.registry.domain import organisation as org
from services.registry.domain import progress, responsibility, review
from services.registry.domain.commands import (
    AnyCommand,
    AssignAccountability,
    AssignResponsibility,
    CommitAction,
    CorrectRecords,
    DissolveOrganisation,
    MergeOrganisation,
    PublishReview,
    RecordChangeInEffect,
    RecordGovernmentResponse,
    RecordImplementationProgress,
    RecordRecommendation,
    RegisterOrganisation,
    RenameOrganisation,
    TransferAction,
    TransferResponsibility,
    WithdrawChange,
)
from services.registry.domain.context import Context
from services.registry.domain.history import known
from services.registry.errors import DomainRuleViolated
from services.registry.service_layer import amendments
from services.registry.service_layer.ports import Reads, UnitOfWork
from services.registry.service_layer.reading import (
    ancestors,
    holdings,
    load,
    organisations,
    recommendation,
    require_cited_recommendation,
)


def _role_bodies(roles: Iterable[Any]) -> list[str]:
    return [i for r in roles for i in (r.organisation_id, r.related_id) if i is not None]


def bodies_named(cmd: AnyCommand) -> list[str]:
    """The bodies a command names for its decision to check: the handler reads them through
    :func:`.reading.organisations` and :func:`reads` declares their shared locks (merge and
    dissolve lock the body they change exclusively instead)."""
    match cmd:
        case MergeOrganisation():
            return [cmd.parent_id]
        case DissolveOrganisation():
            return list(cmd.successor_ids)
        case AssignAccountability():
            return [cmd.organisation_id, cmd.accountable_to_id]
        case RecordRecommendation():
            return _role_bodies(cmd.roles)
        case RecordGovernmentResponse():
            return _role_bodies(review.response_roles(cmd))
        case RecordImplementationProgress():
            return [
                cmd.claim.claimed_by,
                *([cmd.claim.verified_by] if cmd.claim.verified_by else []),
            ]
        case AssignResponsibility():
            return [cmd.holder_id]
        case TransferResponsibility():
            return [cmd.to_id, *([cmd.instead_of_id] if cmd.instead_of_id else [])]
        case CommitAction():
            return [cmd.owner_id]
        case TransferAction():
            return [cmd.to_id]
    return []


async def register_organisation(
    cmd: RegisterOrganisation, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    return org.register(
        await load(uow, organisation_stream(cmd.organisation_id), org.apply), cmd, ctx
    )


async def rename_organisation(
    cmd: RenameOrganisation, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    return org.rename(
        await load(uow, organisation_stream(cmd.organisation_id), org.apply), cmd, ctx
    )


async def moves_first(
    cmd: MergeOrganisation | DissolveOrganisation, why: str, ctx: Context, uow: UnitOfWork
) -> tuple[list[DomainEvent], list[str]]:
    """The moves (in effect) ``move_holdings_to`` asks for, and the ids of what the body still
    holds after them. An announced change moves nothing: it is checked when it takes effect."""
    if cmd.stage is ChangeStage.ANNOUNCED:
        if cmd.move_holdings_to is not None:
            raise DomainRuleViolated(
                "move_holdings_to moves duties now: record the change in effect, or announce "
                "the moves one by one"
            )
        return [], []
    held = await holdings(uow, cmd.organisation_id)
    if cmd.move_holdings_to is None:
        return [], sorted(parse(stream)[1] for stream in held)
    to_id = cmd.move_holdings_to
    receiver = (await organisations(uow, [to_id]))[to_id]
    events: list[DomainEvent] = []
    for stream_id in sorted(held):
        duty = held[stream_id]
        common = {
            "source": ctx.source,
            "from_id": cmd.organisation_id,
            "to_id": to_id,
            "reason": why,
            "recommendation_id": cmd.recommendation_id,
        }
        if isinstance(duty, responsibility.Responsibility):
            move = TransferResponsibility(responsibility_id=duty.responsibility_id, **common)
            events += responsibility.transfer(duty, {to_id: receiver}, move, ctx)
        else:
            action_move = TransferAction(action_id=duty.action_id, **common)
            events += responsibility.transfer_action(duty, receiver, action_move, ctx)
    return events, []


async def merge_organisation(
    cmd: MergeOrganisation, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    await uow.events.lock(exclusive=[organisation_stream(cmd.organisation_id)])
    bodies = await organisations(uow, [cmd.organisation_id, cmd.parent_id])
    parent = bodies[cmd.parent_id]
    why = f"Moved when {cmd.organisation_id!r} became part of {cmd.parent_id!r}."
    moves, left = await moves_first(cmd, why, ctx, uow)
    merged = org.merge(
        bodies[cmd.organisation_id], parent, await ancestors(uow, parent), left, cmd, ctx
    )
    return [*moves, *merged]


async def dissolve_organisation(
    cmd: DissolveOrganisation, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    """Locked exclusively: no transfer to the body can commit between the holdings check and
    the dissolution (transfers lock the receiving body shared)."""
    await uow.events.lock(exclusive=[organisation_stream(cmd.organisation_id)])
    state = await load(uow, organisation_stream(cmd.organisation_id), org.apply)
    successors = await organisations(uow, bodies_named(cmd))
    why = f"Moved when {cmd.organisation_id!r} was dissolved."
    moves, left = await moves_first(cmd, why, ctx, uow)
    return [*moves, *org.dissolve(state, successors, left, cmd, ctx)]


async def assign_accountability(
    cmd: AssignAccountability, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    bodies = await organisations(uow, bodies_named(cmd))
    return org.assign_accountability(
        bodies[cmd.organisation_id], bodies[cmd.accountable_to_id], cmd, ctx
    )


async def publish_review(cmd: PublishReview, ctx: Context, uow: UnitOfWork) -> list[DomainEvent]:
    return review.publish(
        await load(uow, review_stream(cmd.review_id), review.apply_review), cmd, ctx
    )


async def record_recommendation(
    cmd: RecordRecommendation, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    state = await recommendation(uow, cmd.recommendation_id)
    parent = await recommendation(uow, cmd.parent_id) if cmd.parent_id else None
    refs = {ref: await recommendation(uow, ref) for ref in cmd.cross_references}
    rev = await load(uow, review_stream(cmd.review_id), review.apply_review)
    bodies = await organisations(uow, bodies_named(cmd))
    return review.record(state, rev, parent, refs, bodies, cmd, ctx)


async def record_response(
    cmd: RecordGovernmentResponse, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    bodies = await organisations(uow, bodies_named(cmd))
    return review.respond(await recommendation(uow, cmd.recommendation_id), bodies, cmd, ctx)


async def record_progress(
    cmd: RecordImplementationProgress, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    bodies = await organisations(uow, bodies_named(cmd))
    if cmd.action_id is not None:
        state = await load(uow, action_stream(cmd.action_id), responsibility.apply_action)
        action = known(state, "action", cmd.action_id)
        return progress.record_progress(
            action_stream(cmd.action_id), action.version, action.target_date, True, bodies, cmd, ctx
        )
    rec_id = cmd.recommendation_id or ""
    rec = known(await recommendation(uow, rec_id), "recommendation", rec_id)
    responded = rec.response_event_id is not None
    if not responded and rec.parent_id is not None:  # a sub-point answers with its parent
        parent = await recommendation(uow, rec.parent_id)
        responded = parent is not None and parent.response_event_id is not None
    return progress.record_progress(
        recommendation_stream(rec_id), rec.version, rec.target_date, responded, bodies, cmd, ctx
    )


async def assign_responsibility(
    cmd: AssignResponsibility, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    state = await load(
        uow, responsibility_stream(cmd.responsibility_id), responsibility.apply_responsibility
    )
    holder = (await organisations(uow, bodies_named(cmd)))[cmd.holder_id]
    return responsibility.assign(state, holder, cmd, ctx)


async def transfer_responsibility(
    cmd: TransferResponsibility, ctx: Context, uow: UnitOfWork
) -> list[DomainEvent]:
    state = await load(
        uow, responsibility_stream(cmd.responsibility_id), responsibility.apply_responsibility
    )
    return responsibility.transfer(state, await organisations(uow, bodies_named(cmd)), cmd, ctx)


async def commit_action(cmd: CommitAction, ctx: Context, uow: UnitOfWork) -> list[DomainEvent]:
    state = await load(uow, action_stream(cmd.action_id), responsibility.apply_action)
    owner = (await organisations(uow, bodies_named(cmd)))[cmd.owner_id]
    review_known = cmd.review_id is None or bool(
        await uow.events.load(review_stream(cmd.review_id))
    )
    return responsibility.commit_action(state, owner, review_known, cmd, ctx)


async def transfer_action(cmd: TransferAction, ctx: Context, uow: UnitOfWork) -> list[DomainEvent]:
    state = await load(uow, action_stream(cmd.action_id), responsibility.apply_action)
    receiver = (await organisations(uow, bodies_named(cmd)))[cmd.to_id]
    return responsibility.transfer_action(state, receiver, cmd, ctx)


Handler = Callable[[Any, Context, UnitOfWork], Awaitable[list[DomainEvent]]]

HANDLERS: dict[type[Any], Handler] = {
    RegisterOrganisation: register_organisation,
    RenameOrganisation: rename_organisation,
    MergeOrganisation: merge_organisation,
    DissolveOrganisation: dissolve_organisation,
    AssignAccountability: assign_accountability,
    PublishReview: publish_review,
    RecordRecommendation: record_recommendation,
    RecordGovernmentResponse: record_response,
    RecordImplementationProgress: record_progress,
    AssignResponsibility: assign_responsibility,
    TransferResponsibility: transfer_responsibility,
    CommitAction: commit_action,
    TransferAction: transfer_action,
}


def reads(cmd: AnyCommand) -> Reads:
    """What the handler of ``cmd`` will lock and load (see :class:`Reads`): keep in step with
    the handlers above. Something missed here costs a round trip, not correctness; but declare
    a command's locks all here or none, so that they are taken in one sorted order."""
    streams: list[str] = []
    rec_id = getattr(cmd, "recommendation_id", None)
    if rec_id is not None and not isinstance(cmd, RecordRecommendation):
        streams.append(recommendation_stream(rec_id))
    shared = list(map(organisation_stream, bodies_named(cmd)))
    exclusive: list[str] = []
    match cmd:
        case RegisterOrganisation() | RenameOrganisation():
            streams.append(organisation_stream(cmd.organisation_id))
        case MergeOrganisation() | DissolveOrganisation():
            exclusive.append(organisation_stream(cmd.organisation_id))
        case PublishReview():
            streams.append(review_stream(cmd.review_id))
        case RecordRecommendation():
            ids = [cmd.recommendation_id, *([cmd.parent_id] if cmd.parent_id else [])]
            streams.extend(map(recommendation_stream, [*ids, *cmd.cross_references]))
            streams.append(review_stream(cmd.review_id))
        case RecordImplementationProgress() if cmd.action_id is not None:
            streams.append(action_stream(cmd.action_id))
        case AssignResponsibility() | TransferResponsibility():
            streams.append(responsibility_stream(cmd.responsibility_id))
        case CommitAction():
            streams.append(action_stream(cmd.action_id))
            if cmd.review_id is not None:
                streams.append(review_stream(cmd.review_id))
        case TransferAction():
            streams.append(action_stream(cmd.action_id))
        case RecordChangeInEffect() | WithdrawChange() | CorrectRecords():
            exclusive.append(amendments.SERIAL_LOCK)
    streams.extend(s for s in [*shared, *exclusive] if s != amendments.SERIAL_LOCK)
    return Reads(
        tuple(dict.fromkeys(streams)), tuple(dict.fromkeys(shared)), tuple(dict.fromkeys(exclusive))
    )


async def handle(cmd: AnyCommand, ctx: Context, uow: UnitOfWork) -> list[DomainEvent]:
    await require_cited_recommendation(uow, cmd)
    return await HANDLERS[type(cmd)](cmd, ctx, uow)


HANDLERS[RecordChangeInEffect] = amendments.record_in_effect
HANDLERS[WithdrawChange] = amendments.withdraw
HANDLERS[CorrectRecords] = partial(amendments.correct_records, decide=handle)
