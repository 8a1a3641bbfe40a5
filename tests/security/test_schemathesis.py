"""Property-based fuzzing of every operation of every service's OpenAPI with schemathesis, as an
admin (so requests reach the handlers), valid and invalid data alike, plus a stateful run over
the links of the services that create things (create -> read -> act). Promises checked on every
response:

- never a 5xx;
- every error (4xx) is an RFC 9457 problem document: ``application/problem+json`` with
  ``type``, ``title`` and an integer ``status`` equal to the HTTP status;
- data that breaks the schema is refused (schemathesis' ``negative_data_rejection``).

Bounded (``REMIT_FUZZ_EXAMPLES``, default 10 per operation and mode) to stay around a minute in CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection

from tests.security.conftest import ADMIN, Services, token
from tests.security.schemathesis_checks import no_server_error

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
def refuses_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative_data_rejection, also accepting 412 (a malformed ``If-Match`` is
    refused as a failed precondition before the body is looked at) and 413 (a body over the
    limit is refused before it is read, whatever else is wrong with it)."""
    if response.status_code in (412, 413):
        return True
    return bool(negative_data_rejection(ctx, response, case)) or None


CHECKS = [no_server_error, problem_document, refuses_invalid_data]


def fuzz(url: str) -> list[str]:
    """Every operation, positive then negative data; returns the failures (all, not the first)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    # The token is the test's (HEADERS), not generated: a request "without" it would get it back.
    schema.config.generation.update(with_security_parameters=False)
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


STATEFUL_EXAMPLES = int(os.environ.get("REMIT_STATEFUL_EXAMPLES", "40"))


def stateful(url: str, headers: dict[str, str], examples: int = STATEFUL_EXAMPLES) -> str:
    """schemathesis' own stateful phase (its CLI keeps scenarios reproducible against a live
    server), valid data only so that creations succeed and links are followed; returns its
    report after asserting it found nothing."""
    [(name, value)] = headers.items()
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{url}/openapi.json",
            "--phases=stateful",
            "--mode=positive",
            "--checks=no_server_error",
            "--generation-with-security-parameters=false",
            f"--max-examples={examples}",
            "--header",
            f"{name}: {value}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "NO_COLOR": "1",
            "SCHEMATHESIS_HOOKS": "tests.security.schemathesis_checks",
        },
        cwd=Path(__file__).resolve().parents[2],
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    return report


def assert_links_covered(report: str, at_least: int) -> None:
    """The run followed at least ``at_least`` links (else it proved little); the report says."""
    found = re.search(r"API Links:\s+(\d+) covered", report)
    assert found, report[-3000:]
    assert int(found.group(1)) >= at_least, report[-6000:]


def test_stateful_runs_over_the_registrys_links_find_no_5xx(services: Services) -> None:
    """Create -> read the stream -> act on it with its ETag as If-Match. Few generated commands
    pass the domain's rules (sources, existing bodies), so more examples are run (a few
    seconds), and runs follow one to three links."""
    assert_links_covered(stateful(services.registry, HEADERS, 5 * STATEFUL_EXAMPLES), 1)


def test_stateful_runs_over_the_notifiers_links_find_no_5xx(services: Services) -> None:
    """Subscribe (a body the notifier knows) -> read it, its deliveries -> disable, enable,
    rotate, delete."""
    org = f"st-{uuid.uuid4().hex[:6]}"
    body = {"source": {"document": "D", "passage": "P"}, "organisation_id": org}
    registered = httpx.post(
        f"{services.registry}/v1/organisations",
        json={**body, "name": "Stateful", "kind": "team"},
        headers=token("registry:write"),
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    owner = token("subscriptions:write", org=org, ttl=4 * 3600)
    for _ in range(150):  # until the notifier has read the registration (0.2 s waits)
        known = httpx.get(
            f"{services.notifier}/v1/subscriptions",
            params={"min_position": registered.json()["position"]},
            headers=owner,
            timeout=30,
        )
        if known.status_code != 503:
            break
    assert known.status_code == 200, known.text
    assert_links_covered(stateful(services.notifier, owner), 3)
