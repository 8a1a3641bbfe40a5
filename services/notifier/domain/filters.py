"""Which subscriptions want an alert: event-type patterns (fnmatch) and reasons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from services.notifier.domain.reasons import Reason


@dataclass(frozen=True)
class Filter:
    """Empty ``event_types`` or ``reasons`` means "all"."""

    event_types: tuple[str, ...] = ()
    reasons: frozenset[Reason] = frozenset()

    def accepts(self, event_type: str, reasons: Iterable[Reason]) -> bool:
        present = frozenset(reasons)
        if not present:
            return False
        if self.event_types and not any(fnmatchcase(event_type, p) for p in self.event_types):
            return False
        return not self.reasons or bool(self.reasons & present)
