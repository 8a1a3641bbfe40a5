"""Checks of the schemathesis runs (fuzzing in-process, stateful through its CLI, which loads
this module with ``SCHEMATHESIS_HOOKS``)."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.checks import not_a_server_error


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, except the documented, retryable 503 (with Retry-After) of a service asked to
    wait for a position it has not reached (``min_position``/``at_position``)."""
    if response.status_code == 503 and "retry-after" in {k.lower() for k in response.headers}:
        return True
    return bool(not_a_server_error(ctx, response, case)) or None
