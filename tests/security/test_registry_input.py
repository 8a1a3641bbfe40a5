"""Hostile input the registry must refuse cleanly (422 problem, nothing stored), found by fuzzing.

Path ids used to be checked only when the command was built, so an id breaking the identifier
rule (``/v1/organisations/Í/rename``) escaped as a pydantic ValidationError: a 500.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration
SOURCE = {"document": "D", "passage": "P"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/organisations/%C3%8D/rename", {"new_name": "N"}),
        ("/v1/organisations/UPPER/dissolve", {}),
        (
            "/v1/reviews/a%20b/recommendations",
            {"recommendation_id": "r", "number": "1", "text": "t"},
        ),
        (
            "/v1/recommendations/-x/response",
            {"response": "implement_in_full", "response_text": "t"},
        ),
        (
            "/v1/actions/%F0%9F%92%A5/progress",
            {"status": "delivered", "claim": {"claimed_by": "a"}},
        ),
    ],
)
async def test_path_ids_breaking_the_identifier_rule_are_422(
    client: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    r = await client.post(path, json={"source": SOURCE, **body})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["location"][0] == "path"
    assert (await client.get("/v1/events")).json()["head"] == 0
