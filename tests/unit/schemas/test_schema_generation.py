"""The committed JSON Schema and AsyncAPI files are what ``python -m schemas.generate`` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from schemas import generate, wire
from schemas.catalogue import CURRENT_VERSIONS


def test_generated_files_are_not_stale() -> None:
    stale = generate.stale_files()
    assert stale == [], f"stale: {stale}; run `python -m schemas.generate`"


def test_generation_is_deterministic() -> None:
    assert generate.expected_files() == generate.expected_files()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(generate, "JSON_DIR", tmp_path / "json")
    monkeypatch.setattr(generate, "ASYNCAPI_PATH", tmp_path / "asyncapi.yaml")
    return tmp_path


def test_check_mode_lists_stale_and_extra_files(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    (scratch / "json" / "ReviewPublished.v1.json").write_text("{}\n")
    (scratch / "json" / "ReviewPublished.v0.json").write_text("{}\n")
    capsys.readouterr()
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "ReviewPublished.v1.json" in err and "ReviewPublished.v0.json" in err
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    assert not (scratch / "json" / "ReviewPublished.v0.json").exists()


def test_one_schema_file_per_current_event_type() -> None:
    index = json.loads((generate.JSON_DIR / "index.json").read_text())
    listed = {(e["type"], e["version"]) for e in index["events"]}
    assert listed == set(CURRENT_VERSIONS.items())
    for entry in index["events"]:
        schema = json.loads((generate.JSON_DIR / entry["file"]).read_text())
        assert schema["$id"] == entry["$id"] and schema["title"] == entry["type"]
        assert schema["properties"]["type"]["const"] == entry["type"]
        assert set(schema["required"]) == set(schema["properties"])


def test_asyncapi_describes_topics_messages_and_resolvable_refs() -> None:
    doc = yaml.safe_load(generate.ASYNCAPI_PATH.read_text())
    assert doc["asyncapi"] == "3.0.0"
    events = doc["channels"]["events"]
    assert events["address"] == wire.EVENTS_TOPIC
    assert events["bindings"]["kafka"]["partitions"] == 1
    assert events["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == -1
    assert doc["channels"]["deadLetters"]["address"] == wire.DEAD_LETTER_TOPIC
    assert set(events["messages"]) == set(CURRENT_VERSIONS)
    dlq_headers = doc["components"]["schemas"]["DeadLetterHeaders"]
    assert dlq_headers["required"] == list(wire.DLQ_HEADERS)
    text = json.dumps(doc)
    for target in set(_refs(doc)):
        node = doc
        for part in target.removeprefix("#/").split("/"):
            node = node[part]
    assert "$defs" not in text


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_event_type_has_a_stream() -> None:
    assert set(generate.STREAMS) == set(CURRENT_VERSIONS)
