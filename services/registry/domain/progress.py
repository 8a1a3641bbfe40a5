"""Delivery progress on a recommendation or a committed action."""

from __future__ import annotations

from datetime import date

from schemas.envelope import DomainEvent
from schemas.reviews import ImplementationProgressRecorded
from services.registry.domain.commands import RecordImplementationProgress
from services.registry.domain.context import Context
from services.registry.domain.organisation import Organisation, require
from services.registry.errors import DomainRuleViolated


def record_progress(
    stream_id: str,
    version: int,
    current_target: date | None,
    responded: bool,
    bodies: dict[str, Organisation | None],
    cmd: RecordImplementationProgress,
    ctx: Context,
) -> list[DomainEvent]:
    """A claim names who makes it and, separately, who verified it; moving a target date
    needs a reason. Progress on a recommendation needs a government response first."""
    if (cmd.recommendation_id is None) == (cmd.action_id is None):
        raise DomainRuleViolated("give exactly one of recommendation_id and action_id")
    if not responded:
        raise DomainRuleViolated("record the government response before delivery progress")
    moved = current_target is not None and cmd.target_date != current_target
    if moved and not cmd.target_date_change_reason:
        raise DomainRuleViolated(
            f"the target date moves from {current_target} to {cmd.target_date}: give a reason"
        )
    if cmd.claim.verified_by is not None and cmd.claim.verified_by == cmd.claim.claimed_by:
        raise DomainRuleViolated("a claim cannot be verified by the body that makes it")
    for body_id, body in bodies.items():
        require(body, body_id, "claimant or verifier")
    return [
        ctx.stamp(
            ImplementationProgressRecorded,
            stream_id,
            version + 1,
            recommendation_id=cmd.recommendation_id,
            action_id=cmd.action_id,
            status=cmd.status,
            evidence=cmd.evidence,
            target_date=cmd.target_date,
            previous_target_date=current_target if moved else None,
            target_date_change_reason=cmd.target_date_change_reason,
            claim=cmd.claim,
        )
    ]
