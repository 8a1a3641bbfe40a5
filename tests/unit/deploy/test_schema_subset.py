"""The small validator that checks docker-compose.yml rejects what the Compose schema forbids."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.unit.deploy import support
from tools.compose import schema_subset

SCHEMA = json.loads((support.ROOT / "tools" / "compose" / "compose-spec.json").read_text())


def _broken(change: Any) -> list[str]:
    document = copy.deepcopy(support.raw_compose())
    change(document["services"])
    return list(schema_subset.errors(document, SCHEMA))


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["registry"].update(helthcheck={}),
        lambda s: s["registry"]["depends_on"]["kafka"].update(condition="service_ready"),
        lambda s: s["registry"].update(ports="8001:8001"),
        lambda s: s["registry"]["healthcheck"].update(retries="many"),
        lambda s: s["registry"].update(restart=["always"]),
        lambda s: s["registry"].update(command=["python", 3]),
    ],
    ids=["typo", "condition", "ports-type", "retries-type", "restart-type", "command-item"],
)
def test_mistakes_are_reported(change: Any) -> None:
    assert _broken(change)


def test_keywords_it_does_not_implement_are_refused() -> None:
    with pytest.raises(schema_subset.UnsupportedKeyword):
        schema_subset.check_supported({"properties": {"a": {"unevaluatedProperties": False}}})


def test_one_of_needs_exactly_one_match() -> None:
    schema = {"oneOf": [{"type": "string"}, {"type": "string"}]}
    assert list(schema_subset.errors("x", schema))
    assert not list(schema_subset.errors(1, {"oneOf": [{"type": "string"}, {"type": "number"}]}))
