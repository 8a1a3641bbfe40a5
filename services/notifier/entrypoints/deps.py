"""FastAPI dependencies: the wired notifier and the caller, by scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.auth import AuthSettings, Caller, require_scope
from services.notifier.bootstrap import Notifier


def _settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.notifier.settings
    return settings


def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


def _reader(request: Request) -> Caller:
    """``subscriptions:read`` or ``subscriptions:write`` (or admin) may read."""
    from fastapi import HTTPException

    from services.common.auth import bearer, decode_token

    token = bearer(request)
    if token is None:
        raise HTTPException(
            401, "a bearer token is required", headers={"WWW-Authenticate": 'Bearer realm="remit"'}
        )
    caller = decode_token(_settings(request), token)
    if caller.is_admin or caller.scopes & {"subscriptions:read", "subscriptions:write"}:
        return caller
    raise HTTPException(403, "the token lacks the scope 'subscriptions:read'")


NotifierDep = Annotated[Notifier, Depends(_notifier)]
Admin = Annotated[Caller, require_scope("admin", _settings)]
Writer = Annotated[Caller, require_scope("subscriptions:write", _settings)]
Reader = Annotated[Caller, Depends(_reader)]
