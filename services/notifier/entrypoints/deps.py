"""FastAPI dependencies of the notifier, as ``Annotated`` aliases in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.auth import Caller, require_any_scope, require_scope
from services.common.dead_letters import DeadLetterStore
from services.common.positions import min_position_query
from services.notifier.bootstrap import Notifier

SUBSCRIPTIONS_LIMIT = "subscriptions"
"""The per-caller limit on subscription and delivery management (``REMIT_SUBSCRIPTION_RATE_*``)."""


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def dead_letter_store(request: Request) -> DeadLetterStore:
    return _notifier(request).dead_letters


NotifierDep = Annotated[Notifier, Depends(_notifier)]
Writer = Annotated[Caller, require_scope("subscriptions:write", limit=SUBSCRIPTIONS_LIMIT)]
Reader = Annotated[Caller, require_any_scope(("subscriptions:read", "subscriptions:write"))]
"""``subscriptions:read`` or ``subscriptions:write`` (or admin) may read."""
MinPosition = Annotated[
    int | None,
    min_position_query(
        "Answer only once the notifier has read this global position (a command's "
        "`position`): its alerts are then planned. 503 with `Retry-After` if not within "
        "`REMIT_MIN_POSITION_MAX_WAIT_S`."
    ),
]
POSITION_HEADER = "Remit-Position"
"""The notifier's position when it answered (every event up to it has been read)."""
