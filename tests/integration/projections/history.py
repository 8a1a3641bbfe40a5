"""A generated history for the projections' read tests (not a test module): bodies registered,
renamed, merged, dissolved and made accountable; reviews with recommendations, sub-points and
cross-references; responses, re-decisions and progress; responsibilities assigned and moved
(from, to, instead of); actions with progress; a few references to bodies before they are
registered (placeholders); some changes announced, then taking effect or withdrawn; roles of
every kind; corrections that retract progress or replace changes and responses.
``occurred_at`` is set on some events and not in position order (the read side keeps answers
closed under dependency anyway). Deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import organisations as o
from schemas import responsibilities as r
from schemas import reviews as v
from schemas.changes import ChangeTookEffect, ChangeWithdrawn, StagedChange
from schemas.corrections import RecordsCorrected, ReplacedRecord, RetractedRecord
from schemas.envelope import (
    BodyRole,
    DeliveryStatus,
    DomainEvent,
    NamedBody,
    OrganisationKind,
    Source,
)
from schemas.streams import responsibility_stream
from schemas.wire import PositionedEvent

START = datetime(2015, 1, 1, tzinfo=UTC)
_SOURCE = Source(document="Generated", passage="For tests.")
_RESPONSES = (
    v.RecommendationAccepted,
    v.RecommendationAdapted,
    v.RecommendationDeferred,
    v.RecommendationRejected,
)


class History:
    def __init__(
        self, seed: int = 7, orgs: int = 60, reviews: int = 8, recs: int = 25, resps: int = 80
    ) -> None:
        self.rng = random.Random(seed)
        self.n_orgs, self.n_reviews, self.n_recs, self.n_resps = orgs, reviews, recs, resps
        self.versions: dict[str, int] = {}
        self.clock = START
        self.events: list[DomainEvent] = []
        self.response_ids: dict[str, str] = {}
        self.pending: list[StagedChange] = []
        self.corrected: set[uuid.UUID] = set()

    def make(self, cls: type[DomainEvent], stream: str, **fields: Any) -> None:
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        self.clock += timedelta(minutes=7)
        occurred = None
        if self.rng.random() < 0.3:
            occurred = self.clock - timedelta(days=self.rng.randrange(0, 400))
        if issubclass(cls, StagedChange) and "stage" not in fields:
            fields["stage"] = "announced" if self.rng.random() < 0.2 else "in_effect"
        event = cls(
            event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            stream_id=stream,
            stream_version=version,
            recorded_at=self.clock,
            occurred_at=occurred,
            source=_SOURCE,
            actor="generated",
            correlation_id=f"gen-{len(self.events)}",
            **fields,
        )
        self.events.append(event)
        if isinstance(event, StagedChange) and event.announced:
            self.pending.append(event)

    def some(self, pool: list[str], k: int) -> tuple[str, ...]:
        return tuple(self.rng.sample(pool, min(k, len(pool))))

    def generate(self, total: int) -> list[PositionedEvent]:
        self._setup()
        steps = [
            self._respond,
            self._progress,
            self._move,
            self._body_change,
            self._action,
            self._settle,
            self._correct,
        ]
        weights = [3, 3, 4, 1, 1, 1, 1]
        while len(self.events) < total:
            self.rng.choices(steps, weights)[0]()
        return [PositionedEvent(e, i + 1) for i, e in enumerate(self.events)]

    def _setup(self) -> None:
        self.orgs = [f"org-{i}" for i in range(self.n_orgs)]
        self.names = {org: f"Body {org}" for org in self.orgs}
        self.late = self.orgs[-3:]  # named by responses before they are registered
        for org in self.orgs[:-3]:
            self._register(org)
        self.recs: list[tuple[str, str]] = []
        for i in range(self.n_reviews):
            self._review(f"review-{i}")
        self.resps = [f"resp-{i}" for i in range(self.n_resps)]
        self.holders: dict[str, str] = {}
        for resp in self.resps:
            holder = self.rng.choice(self.orgs[:-3])
            self.holders[resp] = holder
            duty = {"responsibility_id": resp, "description": f"Duty {resp}"}
            self.make(
                r.ResponsibilityAssigned,
                responsibility_stream(resp),
                **duty,
                holder_id=holder,
                stage="in_effect",
            )
        self.actions: list[str] = []

    def _register(self, org: str) -> None:
        kind = self.rng.choice(list(OrganisationKind))
        self.make(
            o.OrganisationRegistered,
            f"organisation-{org}",
            organisation_id=org,
            name=self.names[org],
            kind=kind,
        )

    def _review(self, review: str) -> None:
        self.make(
            v.ReviewPublished,
            f"review-{review}",
            review_id=review,
            title=f"Review {review}",
            recommendation_count=self.n_recs,
        )
        ids: list[str] = []
        for j in range(self.n_recs):
            rec = f"{review}:rec-{j}"
            xrefs = self.some(ids, 2) if ids and self.rng.random() < 0.2 else ()
            self._record(rec, review, str(j + 1), None, xrefs)
            ids.append(rec)
            if self.rng.random() < 0.15:
                for letter in "ab":
                    self._record(f"{rec}{letter}", review, f"{j + 1}{letter}", rec, ())

    def _record(
        self, rec: str, review: str, number: str, parent: str | None, xrefs: tuple[str, ...]
    ) -> None:
        self.make(
            v.RecommendationRecorded,
            f"recommendation-{rec}",
            recommendation_id=rec,
            review_id=review,
            number=number,
            text=f"Text of {rec}",
            parent_id=parent,
            cross_references=xrefs,
        )
        self.recs.append((rec, review))

    def _respond(self) -> None:
        rec, review = self.rng.choice(self.recs)
        cls = self.rng.choice(_RESPONSES)
        extra: dict[str, Any] = {"changes": ("Changed",)} if cls is v.RecommendationAdapted else {}
        previous = self.response_ids.get(rec)
        if previous is not None:
            extra |= {"supersedes_event_id": previous, "revision_reason": "Re-decided"}
        self.make(
            cls,
            f"recommendation-{rec}",
            recommendation_id=rec,
            review_id=review,
            response_text=f"Response to {rec}",
            roles=self._roles(),
            **extra,
        )
        self.response_ids[rec] = str(self.events[-1].event_id)
        if self.late and self.rng.random() < 0.05:
            self._register(self.late.pop())

    def _roles(self) -> tuple[NamedBody, ...]:
        bodies = self.some(self.orgs, self.rng.randrange(0, 5))
        roles = []
        for body in bodies:
            role = self.rng.choice(list(BodyRole))
            related = None
            if role in (BodyRole.MEMBER_OF, BodyRole.ACCOUNTABLE_TO):
                related = self.rng.choice([o for o in self.orgs if o != body])
            roles.append(NamedBody(organisation_id=body, role=role, related_id=related))
        return tuple(roles)

    def _settle(self) -> None:
        """An announced change takes effect, or is withdrawn."""
        if not self.pending:
            return
        change = self.pending.pop(self.rng.randrange(len(self.pending)))
        common = {
            "announced_event_id": change.event_id,
            "announced_stream_version": change.stream_version,
            "change_type": change.type,
        }
        if self.rng.random() < 0.7:
            self.make(ChangeTookEffect, change.stream_id, **common)
        else:
            self.make(ChangeWithdrawn, change.stream_id, reason="Not now", **common)

    def _correct(self) -> None:
        """Retract a progress claim, or replace a rename, a transfer or a response with one that
        says something else."""
        candidates = [
            e
            for e in self.events
            if isinstance(
                e,
                v.ImplementationProgressRecorded
                | o.OrganisationRenamed
                | r.ResponsibilityTransferred
                | v.GovernmentResponse,
            )
            and e.event_id not in self.corrected
            and not (isinstance(e, StagedChange) and e.announced)
        ]
        if not candidates:
            return
        old = self.rng.choice(candidates)
        self.corrected.add(old.event_id)
        common = {"correction_id": uuid.UUID(int=self.rng.getrandbits(128), version=4)}
        if isinstance(old, v.ImplementationProgressRecorded):
            self.make(
                RecordsCorrected,
                old.stream_id,
                reason="Claim withdrawn",
                retracted=(RetractedRecord(stream_version=old.stream_version, event=old),),
                **common,
            )
            return
        change: dict[str, Any] = {"event_id": uuid.UUID(int=self.rng.getrandbits(128), version=4)}
        if isinstance(old, o.OrganisationRenamed):
            change["new_name"] = f"{old.new_name} (corrected)"
        elif isinstance(old, r.ResponsibilityTransferred):
            change["instead_of_id"] = self.rng.choice(self.orgs)
        else:
            change["roles"] = self._roles()
            change["response_text"] = f"{old.response_text} (corrected)"
        new = old.model_copy(update=change)
        self.make(
            RecordsCorrected,
            old.stream_id,
            reason="Misread",
            replaced=(
                ReplacedRecord(stream_version=old.stream_version, event=old, replacement=new),
            ),
            **common,
        )

    def _progress(self) -> None:
        responded = [rec for rec, _ in self.recs if rec in self.response_ids]
        on_action = self.actions and self.rng.random() < 0.3
        if not responded and not on_action:
            return
        subject = (
            {"action_id": self.rng.choice(self.actions)}
            if on_action
            else {"recommendation_id": self.rng.choice(responded)}
        )
        stream = (
            f"action-{subject['action_id']}"
            if on_action
            else f"recommendation-{subject['recommendation_id']}"
        )
        claimed, verified = self.some(self.orgs[:-3], 2)
        self.make(
            v.ImplementationProgressRecorded,
            stream,
            status=self.rng.choice(list(DeliveryStatus)),
            target_date=(START + timedelta(days=self.rng.randrange(900))).date(),
            target_date_change_reason="Moved",
            claim=v.Claim(claimed_by=claimed, verified_by=verified),
            **subject,
        )

    def _move(self) -> None:
        resp = self.rng.choice(self.resps)
        to = self.rng.choice(self.orgs)
        if to == self.holders[resp]:
            return
        instead = self.rng.choice(self.orgs) if self.rng.random() < 0.2 else None
        known_from = self.holders[resp] if self.rng.random() < 0.9 else None
        rec = self.rng.choice(self.recs)[0] if self.rng.random() < 0.3 else None
        stream = responsibility_stream(resp)
        self.make(
            r.ResponsibilityTransferred,
            stream,
            responsibility_id=resp,
            description=f"Duty {resp}, v{self.versions[stream]}",
            from_id=known_from,
            to_id=to,
            instead_of_id=instead,
            reason="Moved on",
            recommendation_id=rec,
        )
        self.holders[resp] = to

    def _body_change(self) -> None:
        org, other = self.rng.sample(self.orgs[: -3 or None], 2)
        stream, roll = f"organisation-{org}", self.rng.random()
        rec = self.rng.choice(self.recs)[0] if self.rng.random() < 0.5 else None
        if roll < 0.5:
            new = f"{self.names[org]} (renamed {self.versions[stream]})"
            self.make(
                o.OrganisationRenamed,
                stream,
                organisation_id=org,
                previous_name=self.names[org],
                new_name=new,
            )
            self.names[org] = new
        elif roll < 0.7:
            self.make(
                o.OrganisationMerged,
                stream,
                organisation_id=org,
                parent_id=other,
                keeps_identity=self.rng.random() < 0.5,
                recommendation_id=rec,
            )
        elif roll < 0.85:
            self.make(
                o.AccountabilityAssigned,
                stream,
                organisation_id=org,
                accountable_to_id=other,
                recommendation_id=rec,
            )
        else:
            self.make(
                o.OrganisationDissolved,
                stream,
                organisation_id=org,
                successor_ids=self.some(self.orgs, 2),
                recommendation_id=rec,
            )

    def _action(self) -> None:
        action = f"action-{len(self.actions)}"
        rec, review = self.rng.choice(self.recs)
        self.actions.append(action)
        self.make(
            r.ActionCommitted,
            f"action-{action}",
            action_id=action,
            owner_id=self.rng.choice(self.orgs),
            description=f"Do {action}",
            review_id=review,
            recommendation_id=rec if self.rng.random() < 0.5 else None,
        )


def generated(total: int, seed: int = 7, **sizes: int) -> list[PositionedEvent]:
    return History(seed, **sizes).generate(total)


def ids(events: list[PositionedEvent]) -> Iterator[tuple[str, str]]:
    """(kind, id) of every stream in ``events``."""
    from services.projections.domain.refs import stream_of

    for stream in sorted({p.event.stream_id for p in events}):
        yield stream_of(stream)
