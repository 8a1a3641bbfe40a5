"""The root every service's error tree grows from; no web framework here, so domains may use it."""

from __future__ import annotations


class ProblemError(Exception):
    """A ``title`` and HTTP ``status`` per class, a ``detail`` per instance:
    ``services.common.problems.install`` turns any of them into an RFC 9457 problem document."""

    title = "Request refused"
    status = 400

    def __init_subclass__(
        cls, title: str | None = None, status: int | None = None, **kwargs: object
    ) -> None:
        """``class NotFound(MyError, title="Not found", status=404): ...``"""
        super().__init_subclass__(**kwargs)
        if title is not None:
            cls.title = title
        if status is not None:
            cls.status = status

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
