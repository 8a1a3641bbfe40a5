"""``remit dlq``: the routes both services have, the right columns, non-zero on a problem.

No network: an ``httpx.MockTransport`` (and a fake rebuild) are passed in through Click's
``obj``, never patched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.cli.main import CliSettings
from services.cli.replay import REBUILD
from services.cli.wiring import Wiring

PROBLEM = {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "no admin"}


def letter(id_: int, kind: str = "apply_error", position: int | None = None) -> dict[str, Any]:
    return {
        "id": id_,
        "kind": kind,
        "consumer": "remit-x",
        "source_topic": "remit.events",
        "source_partition": 0,
        "source_offset": 100 + id_,
        "position": position,
        "reason": f"KeyError: {id_}",
        "created_at": "2025-01-02T03:04:05+00:00",
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


@dataclass
class FakeService:
    """Serves /v1/dead-letters like both services do; records every request."""

    letters: list[dict[str, Any]]
    requests: list[httpx.Request] = field(default_factory=list)
    fail_with: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with:
            return httpx.Response(self.fail_with, json=PROBLEM)
        path = request.url.path
        if request.method == "GET" and path == "/v1/dead-letters":
            open_ = [d for d in self.letters if d["acknowledged_at"] is None]
            items = self.letters if request.url.params.get("include_acknowledged") else open_
            return httpx.Response(
                200, json={"degraded": bool(open_), "unacknowledged": len(open_), "items": items}
            )
        if request.method == "POST" and path.endswith("/acknowledge"):
            id_ = int(path.split("/")[3])
            found = [d for d in self.letters if d["id"] == id_]
            if not found:
                return httpx.Response(404, json={**PROBLEM, "status": 404, "title": "Not found"})
            found[0]["acknowledged_at"] = "2025-01-03T00:00:00+00:00"
            degraded = any(d["acknowledged_at"] is None for d in self.letters)
            return httpx.Response(200, json={"id": id_, "acknowledged": True, "degraded": degraded})
        return httpx.Response(404, json={**PROBLEM, "status": 404, "title": "Not found"})


def invoke(args: list[str], service: FakeService, **wiring: Any) -> Any:
    obj = Wiring(transport=httpx.MockTransport(service), **wiring)
    return CliRunner().invoke(app, args, obj=obj)


@pytest.mark.parametrize("name", ["projections", "notifier"])
def test_list_calls_the_route_each_service_has_and_prints_acknowledged_at(name: str) -> None:
    service = FakeService([letter(1, position=7), letter(2, "undecodable")])
    result = invoke(["dlq", "list", "--service", name], service)
    assert result.exit_code == 0, result.output
    [request] = service.requests
    assert request.method == "GET" and request.url.path == "/v1/dead-letters"
    base = httpx.URL(getattr(CliSettings(), f"{name}_url"))
    assert (request.url.host, request.url.port) == (base.host, base.port)
    assert request.headers["authorization"].startswith("Bearer ")
    header, first, second, total = result.output.splitlines()
    assert header.split() == [
        "id",
        "kind",
        "position",
        "source_offset",
        "created_at",
        "acknowledged_at",
        "reason",
    ]
    assert first.split()[:4] == ["1", "apply_error", "7", "101"]
    assert second.split()[:5] == ["2", "undecodable", "-", "102", "2025-01-02T03:04:05+00:00"]
    assert second.split()[5] == "-"  # acknowledged_at: not yet
    assert total == f"2 unacknowledged ({name})"


def test_list_json_and_all() -> None:
    acknowledged = {**letter(3), "acknowledged_at": "2025-01-03T00:00:00+00:00"}
    service = FakeService([letter(1), acknowledged])
    result = invoke(["dlq", "list", "--service", "notifier", "--all", "--json"], service)
    assert result.exit_code == 0, result.output
    assert service.requests[0].url.params["include_acknowledged"] == "true"
    body = json.loads(result.output)
    assert [d["id"] for d in body["items"]] == [1, 3] and body["unacknowledged"] == 1


def test_acknowledge_posts_to_the_acknowledge_route() -> None:
    service = FakeService([letter(5), letter(6)])
    result = invoke(["dlq", "acknowledge", "5", "--service", "notifier"], service)
    assert result.exit_code == 0, result.output
    [request] = service.requests
    assert (request.method, request.url.path) == ("POST", "/v1/dead-letters/5/acknowledge")
    assert result.output.strip() == "acknowledged 5 (notifier: still degraded)"


@pytest.mark.parametrize(
    "args",
    [
        ["dlq", "list", "--service", "projections"],
        ["dlq", "acknowledge", "9", "--service", "notifier"],
    ],
)
@pytest.mark.parametrize("status", [403, 404, 503])
def test_a_problem_response_exits_non_zero_with_its_detail(args: list[str], status: int) -> None:
    service = FakeService([letter(1)], fail_with=status)
    result = invoke(args, service)
    assert result.exit_code == 1
    assert f"-> {status} Forbidden: no admin" in result.output


def test_an_unknown_id_is_a_problem() -> None:
    result = invoke(["dlq", "acknowledge", "42"], FakeService([letter(1)]))
    assert result.exit_code == 1 and "-> 404 Not found" in result.output


def test_an_unknown_service_is_a_usage_error() -> None:
    service = FakeService([])
    result = invoke(["dlq", "list", "--service", "registry"], service)
    assert result.exit_code == 2 and service.requests == []


class Rebuild:
    def __init__(self, code: int, held: set[int]) -> None:
        self.code, self.held, self.calls = code, held, list[Sequence[str]]()
        self.asked: list[set[int]] = []

    def run(self, argv: Sequence[str]) -> int:
        self.calls.append(argv)
        return self.code

    def applied(self, positions: Collection[int]) -> set[int]:
        self.asked.append(set(positions))
        return self.held & set(positions)


def _replay(service: FakeService, rebuild: Rebuild, *extra: str) -> Any:
    run: Callable[[Sequence[str]], int] = rebuild.run
    return invoke(["dlq", "replay", *extra], service, run=run, applied=rebuild.applied)


def test_replay_rebuilds_then_acknowledges_only_what_the_model_now_holds() -> None:
    letters = [
        letter(1, position=10),  # fixed by the new code
        letter(2, position=11),  # still fails
        letter(3, "undecodable"),  # no position: cannot be checked
        letter(4, "position_gap", position=12),  # an anomaly, not a failure
    ]
    service, rebuild = FakeService(letters), Rebuild(0, held={10, 12})
    result = _replay(service, rebuild)
    assert rebuild.calls == [list(REBUILD)]
    assert rebuild.asked == [{10, 11}]
    posts = [r.url.path for r in service.requests if r.method == "POST"]
    assert posts == ["/v1/dead-letters/1/acknowledge"]
    assert "acknowledged 1: [1]" in result.output
    assert "3 dead letters remain" in result.output
    assert result.exit_code == 1


def test_replay_with_nothing_left_exits_zero() -> None:
    service, rebuild = FakeService([letter(1, position=10)]), Rebuild(0, held={10})
    result = _replay(service, rebuild)
    assert result.exit_code == 0, result.output
    assert "remain" not in result.output


def test_a_failed_rebuild_acknowledges_nothing() -> None:
    service, rebuild = FakeService([letter(1, position=10)]), Rebuild(3, held={10})
    result = _replay(service, rebuild)
    assert result.exit_code == 3 and "rebuild failed" in result.output
    assert service.requests == [] and rebuild.asked == []


def test_replay_is_for_projections_only() -> None:
    service, rebuild = FakeService([letter(1, position=10)]), Rebuild(0, held={10})
    result = _replay(service, rebuild, "--service", "notifier")
    assert result.exit_code == 2 and rebuild.calls == [] and service.requests == []
