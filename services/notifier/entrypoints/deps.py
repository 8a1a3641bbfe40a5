"""FastAPI dependencies of the notifier, as ``Annotated`` aliases in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.common.auth import Caller, authenticate, require_scope
from services.common.dead_letters import DeadLetterStore
from services.notifier.bootstrap import Notifier

SUBSCRIPTIONS_LIMIT = "subscriptions"
"""The per-caller limit on subscription and delivery management (``REMIT_SUBSCRIPTION_RATE_*``)."""


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def dead_letter_store(request: Request) -> DeadLetterStore:
    return _notifier(request).dead_letters


async def _reader(request: Request) -> Caller:
    """``subscriptions:read`` or ``subscriptions:write`` (or admin) may read."""
    caller = await authenticate(request)
    if caller.is_admin or caller.scopes & {"subscriptions:read", "subscriptions:write"}:
        return caller
    raise HTTPException(403, "the token lacks the scope 'subscriptions:read'")


NotifierDep = Annotated[Notifier, Depends(_notifier)]
Writer = Annotated[Caller, require_scope("subscriptions:write", limit=SUBSCRIPTIONS_LIMIT)]
Reader = Annotated[Caller, Depends(_reader)]
