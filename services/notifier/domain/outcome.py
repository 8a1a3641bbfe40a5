"""What one delivery attempt came to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """``label``: delivered | failed | gone | refused | timeout | error."""

    label: str
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.label == "delivered"

    @property
    def gone(self) -> bool:
        return self.label == "gone"


def from_status(code: int, retry_after: float | None = None) -> Outcome:
    """2xx delivered; 410 gone (disable); anything else, redirects included, a failure."""
    if 200 <= code < 300:
        return Outcome("delivered", code)
    if code == 410:
        return Outcome("gone", code, "410 Gone")
    kind = "redirect (not followed)" if 300 <= code < 400 else "status"
    return Outcome("failed", code, f"HTTP {code}: {kind}", retry_after)
