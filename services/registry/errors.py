"""Errors of the registry, one tree; the HTTP layer maps each to an RFC 9457 problem.

RegistryError
├── DomainRuleViolated        422  a rule of the domain refuses the command
│   ├── UnknownEntity         422  a named organisation, review, ... does not exist
│   ├── InconsistentHistory   422  a stream (as corrected) would not fold: an event no longer fits
│   └── AlreadyExists         409  the id is taken
├── ConcurrencyConflict       409  the stream moved on since it was read
│   └── StaleRead             409  a body the decision relied on changed before it committed
├── PreconditionFailed        412  If-Match names a version that is not current
├── IdempotencyKeyReused      422  the same key came with a different request
└── SequencingTimeout         503  committed events did not get their positions in time
"""

from __future__ import annotations

from services.common.errors import ProblemError


class RegistryError(ProblemError, title="Registry error", status=400): ...


class DomainRuleViolated(RegistryError, title="Domain rule violated", status=422): ...


class UnknownEntity(DomainRuleViolated, title="Unknown entity", status=422): ...


class InconsistentHistory(DomainRuleViolated, title="Inconsistent history", status=422):
    """Folding a stream met an event that does not fit the state before it: a correction that
    would leave such a history is refused."""


class AlreadyExists(DomainRuleViolated, title="Already exists", status=409): ...


class ConcurrencyConflict(RegistryError, title="Concurrency conflict", status=409): ...


class StaleRead(ConcurrencyConflict):
    """A stream the decision relied on (locked shared) moved on between the read and the
    append. ``run_command`` decides again a few times before answering 409."""


class PreconditionFailed(RegistryError, title="Precondition failed", status=412): ...


class IdempotencyKeyReused(
    RegistryError, title="Idempotency key reused with a different request", status=422
): ...


class SequencingTimeout(RegistryError, title="Event positions not yet assigned", status=503):
    """Committed events did not get positions in time (the sequencer is blocked or down)."""
