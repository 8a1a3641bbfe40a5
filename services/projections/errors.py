"""Errors of the projections service, one tree; the HTTP layer maps each to an RFC 9457 problem.

ProjectionError
├── NotFound                  404  no organisation, recommendation, review, ... with that id
├── BadQuery                  422  a parameter cannot be honoured (e.g. as_of with at_position)
├── NotCaughtUp               503  min_position was not reached in time (Retry-After)
├── OutdatedReadModel              the active read model has an older shape: rebuild (the
│                                  consumer waits and retries; /readyz reports it)
└── ApplyError                     an event cannot be folded (never reaches HTTP: dead-lettered)
    └── StreamOutOfOrder           a stream version is missing or the stream never started
"""

from __future__ import annotations

from services.common.errors import ProblemError


class ProjectionError(ProblemError, title="Projection error", status=400): ...


class NotFound(ProjectionError, title="Not found", status=404): ...


class BadQuery(ProjectionError, title="Unprocessable query", status=422): ...


class NotCaughtUp(ProjectionError, title="Projection not caught up", status=503):
    def __init__(self, detail: str, position: int, retry_after_s: int = 1) -> None:
        super().__init__(detail)
        self.position = position
        self.retry_after_s = retry_after_s


class OutdatedReadModel(ProjectionError, title="Read model needs a rebuild", status=503): ...


class ApplyError(ProjectionError, title="Event cannot be applied", status=500): ...


class StreamOutOfOrder(ApplyError):
    title = "Stream out of order"
