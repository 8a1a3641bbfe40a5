"""The root every service's error tree grows from; no web framework here, so domains may use it."""

from __future__ import annotations


class ProblemError(Exception):
    """A ``title`` and HTTP ``status`` per class, a ``detail`` per instance:
    ``services.common.problems.install`` turns any of them into an RFC 9457 problem document."""

    title = "Request refused"
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
