"""Which subscriptions want an alert: event-type patterns (fnmatch) and reasons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from services.notifier.domain.reasons import Reason
from services.notifier.domain.resolution import Affected


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


@dataclass(frozen=True)
class Rule:
    """What a subscription asks for (its id, organisation, filter and oversight opt-in)."""

    subscription_id: str
    organisation_id: str
    filter: Filter = Filter()
    include_oversight: bool = False


def plan(
    event_type: str, affected: Affected, rules: Iterable[Rule]
) -> dict[Rule, frozenset[Reason]]:
    """Rule → reasons, for every subscription that gets an alert about the event."""
    out: dict[Rule, frozenset[Reason]] = {}
    for rule in rules:
        reasons = affected.for_subscriber(rule.organisation_id, rule.include_oversight)
        if rule.filter.accepts(event_type, reasons):
            out[rule] = reasons
    return out
