"""FastAPI dependencies of the notifier, as ``Annotated`` aliases in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.common.auth import AuthSettings, Caller, bearer, decode_token, require_scope
from services.common.dead_letters import DeadLetterStore
from services.notifier.bootstrap import Notifier


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def auth_settings(request: Request) -> AuthSettings:
    return _notifier(request).settings


def dead_letter_store(request: Request) -> DeadLetterStore:
    return _notifier(request).dead_letters


def _reader(request: Request) -> Caller:
    """``subscriptions:read`` or ``subscriptions:write`` (or admin) may read."""
    token = bearer(request)
    if token is None:
        raise HTTPException(
            401, "a bearer token is required", headers={"WWW-Authenticate": 'Bearer realm="remit"'}
        )
    caller = decode_token(auth_settings(request), token)
    if caller.is_admin or caller.scopes & {"subscriptions:read", "subscriptions:write"}:
        return caller
    raise HTTPException(403, "the token lacks the scope 'subscriptions:read'")


NotifierDep = Annotated[Notifier, Depends(_notifier)]
Writer = Annotated[Caller, require_scope("subscriptions:write", auth_settings)]
Reader = Annotated[Caller, Depends(_reader)]
