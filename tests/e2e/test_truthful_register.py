"""The truthful register through the whole stack: announced changes taking effect or withdrawn,
dated and undated facts answered as of dates (closed, with uncertainty), corrections (retract,
replace, refused when inconsistent, alerted), absorption moving what a body holds."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from services.common.auth import AuthSettings, issue_token
from tests.e2e.conftest import Stack
from tests.support.eventually import eventually
from tests.support.servers import serve

pytestmark = pytest.mark.e2e
SOURCE = {"document": "E2E", "passage": "An end-to-end check."}
Received = list[dict[str, Any]]


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, Received]]:
    received: Received = []

    def make() -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def take(request: Request) -> dict[str, str]:
            received.append(json.loads(await request.body()))
            return {"ok": "yes"}

        return app

    with serve(make) as url:
        yield f"{url}/hook", received


class Remit:
    """Commands to the registry, reads from projections after each command's position."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack) -> None:
        self.http, self.stack, self.position = http, stack, 0
        auth = AuthSettings()
        self.writer = {"Authorization": f"Bearer {issue_token(auth, 'e2e', ['registry:write'])}"}

    async def do(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.stack.registry}{path}", json={"source": SOURCE, **body}, headers=self.writer
        )
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        self.position = max(self.position, answer.get("position") or 0)
        return answer

    async def read(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.stack.projections}{path}", params={"min_position": self.position, **params}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_announce_take_effect_and_dates_answer_closed_with_uncertainty(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        remit = Remit(http, stack)
        body, duty = uid("body"), uid("duty")
        await remit.do("/v1/organisations", {"organisation_id": body, "name": "B", "kind": "team"})
        announced = await remit.do(
            f"/v1/responsibilities/{duty}/transfer",
            {"description": "A duty", "to_id": body, "stage": "announced"},
        )
        lineage = await remit.read(f"/v1/responsibilities/{duty}")
        assert lineage["holder"] is None and [h["stage"] for h in lineage["handovers"]] == [
            "announced"
        ]
        event_id = announced["events"][0]["event_id"]
        await remit.do(
            "/v1/changes/in-effect",
            {"announcement": {"event_id": event_id}, "occurred_at": "2016-04-01T00:00:00Z"},
        )
        lineage = await remit.read(f"/v1/responsibilities/{duty}")
        assert lineage["holder"]["id"] == body
        assert lineage["handovers"][0]["stage"] == "took_effect"
        assert lineage["holder_since"]["at"] == "2016-04-01T00:00:00+00:00"

        before = await remit.read(f"/v1/responsibilities/{duty}", as_of="2016-03-31")
        assert before["holder"] is None  # announced only
        holder = await remit.read(f"/v1/organisations/{body}", as_of="2016-03-31")
        assert holder["uncertain"] is True  # may have existed: it did by 1 April
        assert holder["valid"]["not_after"] == "2016-04-01T00:00:00+00:00"
        after = await remit.read(f"/v1/responsibilities/{duty}", as_of="2016-04-01")
        assert after["holder"]["id"] == body
        certain = await remit.read(f"/v1/organisations/{body}", as_of="2016-04-01")
        assert "uncertain" not in certain
        assert [r["id"] for r in certain["responsibilities"]] == [duty]


async def test_an_announced_rename_withdrawn_never_renames(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        remit = Remit(http, stack)
        body = uid("body")
        await remit.do(
            "/v1/organisations", {"organisation_id": body, "name": "Old", "kind": "team"}
        )
        await remit.do(
            f"/v1/organisations/{body}/rename",
            {"new_name": "New", "stage": "announced", "expected_on": "2027-01-01"},
        )
        view = await remit.read(f"/v1/organisations/{body}")
        assert view["name"] == "Old" and view["announced"][0]["expected_on"] == "2027-01-01"
        await remit.do(
            "/v1/changes/withdrawn",
            {
                "announcement": {"stream_id": f"organisation-{body}", "stream_version": 2},
                "reason": "Dropped",
            },
        )
        view = await remit.read(f"/v1/organisations/{body}")
        assert view["name"] == "Old" and view["announced"] == []
        assert [(c["change"], c["stage"]) for c in view["changes"]] == [("rename", "withdrawn")]
        await remit.do(
            "/v1/changes/in-effect",
            {"announcement": {"stream_id": f"organisation-{body}", "stream_version": 2}},
            status=422,
        )


async def test_corrections_retract_replace_refuse_and_alert(
    stack: Stack, hook: tuple[str, Received]
) -> None:
    url, received = hook
    async with httpx.AsyncClient(timeout=30) as http:
        remit = Remit(http, stack)
        old, new, duty = uid("old"), uid("new"), uid("duty")
        for org in (old, new):
            await remit.do(
                "/v1/organisations", {"organisation_id": org, "name": org, "kind": "team"}
            )
        token = issue_token(AuthSettings(), "e2e", ["subscriptions:write"], old)
        subscribed = await http.post(
            f"{stack.notifier}/v1/subscriptions",
            params={"min_position": remit.position},  # the notifier has read the registration
            json={"channel": "webhook", "url": url},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert subscribed.status_code == 201, subscribed.text
        await remit.do(
            "/v1/responsibilities",
            {"responsibility_id": duty, "description": "D", "holder_id": old},
        )
        await remit.do(f"/v1/responsibilities/{duty}/transfer", {"from_id": old, "to_id": new})
        stream = f"responsibility-{duty}"
        refused = await remit.do(
            "/v1/corrections",
            {"reason": "Never held", "retract": [{"stream_id": stream, "stream_version": 1}]},
            status=422,
        )
        assert "would not hold together" in refused["detail"]
        await remit.do(
            "/v1/corrections",
            {
                "reason": "The source never says who held it",
                "retract": [{"stream_id": stream, "stream_version": 1}],
                "replace": [
                    {
                        "event": {"stream_id": stream, "stream_version": 2},
                        "with_command": {
                            "command": "TransferResponsibility",
                            "source": SOURCE,
                            "responsibility_id": duty,
                            "description": "D",
                            "to_id": new,
                        },
                    }
                ],
            },
        )
        for position in (1, remit.position):
            found = await http.get(
                f"{stack.projections}/v1/responsibilities/{duty}",
                params={"at_position": position, "min_position": remit.position},
            )
            if found.status_code == 200:
                holders = {h["to"]["id"] for h in found.json()["handovers"]}
                assert old not in holders  # at no position is the retracted holding shown
        lineage = await remit.read(f"/v1/responsibilities/{duty}")
        assert lineage["holder"]["id"] == new
        [correction] = lineage["corrections"]
        assert correction["reason"] == "The source never says who held it"
        view = await remit.read(f"/v1/organisations/{old}")
        assert view["responsibilities"] == [] and view["transferred_out"] == []

    alert: dict[str, Any] = await eventually(
        lambda: next((m for m in received if m["data"]["stage"] == "corrected"), {})
    )
    assert alert["data"]["recipient"]["organisation_id"] == old
    assert alert["data"]["reasons"] == ["record_corrected"]


async def test_absorption_moves_responsibilities_and_actions_in_one_command(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        remit = Remit(http, stack)
        part, parent, duty, action = uid("part"), uid("parent"), uid("duty"), uid("act")
        for org in (part, parent):
            await remit.do(
                "/v1/organisations", {"organisation_id": org, "name": org, "kind": "team"}
            )
        await remit.do(
            "/v1/responsibilities",
            {"responsibility_id": duty, "description": "D", "holder_id": part},
        )
        await remit.do(
            "/v1/actions", {"action_id": action, "owner_id": part, "description": "Do it"}
        )
        merge = {"parent_id": parent, "keeps_identity": False}
        refused = await remit.do(f"/v1/organisations/{part}/merge", merge, status=422)
        assert "still holds" in refused["detail"] and "move_holdings_to" in refused["detail"]
        missing = await remit.do(f"/v1/organisations/{part}/merge", {"parent_id": parent}, 422)
        assert "keeps_identity" in json.dumps(missing)
        moved = await remit.do(
            f"/v1/organisations/{part}/merge", {**merge, "move_holdings_to": parent}
        )
        assert {e["event_type"] for e in moved["events"]} == {
            "ResponsibilityTransferred",
            "ActionTransferred",
            "OrganisationMerged",
        }
        view = await remit.read(f"/v1/organisations/{parent}")
        assert [r["id"] for r in view["responsibilities"]] == [duty]
        assert [a["id"] for a in view["actions"]] == [action]
        assert view["parts"][0]["id"] == part
