"""Property-based fuzzing of every operation of every service's OpenAPI with schemathesis, as an
admin (so requests reach the handlers), valid and invalid data alike, plus a stateful run where
the schema has links. Promises checked on every response:

- never a 5xx;
- every error (4xx) is an RFC 9457 problem document: ``application/problem+json`` with
  ``type``, ``title`` and an integer ``status`` equal to the HTTP status;
- data that breaks the schema is refused (schemathesis' ``negative_data_rejection``).

Bounded (``REMIT_FUZZ_EXAMPLES``, default 10 per operation and mode) to stay around a minute in CI.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, not_a_server_error

from tests.security.conftest import ADMIN, Services, token

EXAMPLES = int(os.environ.get("REMIT_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@schemathesis.check
def problem_document(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx body is an RFC 9457 problem."""
    if response.status_code < 400:
        return None
    kind = response.headers.get("content-type", [""])
    kind = kind[0] if isinstance(kind, list) else kind
    assert kind.startswith("application/problem+json"), f"error as {kind!r}: {response.text!r}"
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("type"), str) and body["type"], body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert body.get("status") == response.status_code, body
    return True


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, except the documented, retryable 503 (with Retry-After) of a projection asked
    to wait for a position it has not reached (``min_position``/``at_position``)."""
    if response.status_code == 503 and "retry-after" in {k.lower() for k in response.headers}:
        return True
    return bool(not_a_server_error(ctx, response, case)) or None


@schemathesis.check
def refuses_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative_data_rejection, also accepting 412: a malformed ``If-Match`` is
    refused as a failed precondition before the body is looked at."""
    if response.status_code == 412:
        return True
    return bool(negative_data_rejection(ctx, response, case)) or None


CHECKS = [no_server_error, problem_document, refuses_invalid_data]


def fuzz(url: str) -> list[str]:
    """Every operation, positive then negative data; returns the failures (all, not the first)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @FUZZ
            @given(case=strategy)
            def run(case: Any) -> None:
                case.call_and_validate(headers=HEADERS, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # no invalid input exists (an operation without parameters)
                continue
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # collect, so one run shows every broken operation
                failures.append(f"{operation.label} [{mode.value}]: {_short(exc)}")
    return failures


HEADERS = token(*ADMIN, ttl=4 * 3600)


def _short(exc: BaseException) -> str:
    """Each failure's title and the response it got, without the long reproduction."""
    lines = [line.strip(" |") for line in str(exc).splitlines()]
    keep = [line for line in lines if line.startswith(("- ", "[", "`{")) or "Server error" in line]
    return (" / ".join(keep) or lines[0] if lines else type(exc).__name__)[:1500]


@pytest.mark.parametrize("service", ["registry", "projections", "notifier"])
def test_fuzzing_finds_no_5xx_and_only_problem_documents(services: Services, service: str) -> None:
    failures = fuzz(getattr(services, service))
    assert not failures, "\n\n".join(failures)
