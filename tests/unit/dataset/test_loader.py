"""load_dataset: parsing, the discriminated union, and errors that name the item."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.registry.dataset import DatasetError, load_dataset
from services.registry.domain.commands import PublishReview, RegisterOrganisation

HEADER = """\
dataset: example
document: {title: An example, file: data/example.txt}
commands:
"""

ORG = """\
  - key: org/a
    command: RegisterOrganisation
    organisation_id: a
    name: A
    kind: team
    source: {document: An example, passage: A}
"""

REVIEW = """\
  - key: review/r
    command: PublishReview
    review_id: r
    title: R
    recommendation_count: 0
    source: {document: An example, passage: R}
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "example.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_loads_commands_in_order_by_their_command_field(tmp_path: Path) -> None:
    loaded = load_dataset(write(tmp_path, ORG + REVIEW))
    (org_key, org), (review_key, review) = loaded.commands  # (key, command) pairs
    assert (org_key, review_key) == ("org/a", "review/r")
    assert isinstance(org, RegisterOrganisation)
    assert isinstance(review, PublishReview)
    assert loaded.document.file == "data/example.txt"


def test_an_invalid_item_is_named_by_index_and_key(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetError,
        match=r"commands\[1\] \(key 'review/r'\): .*recommendation_count: Field required",
    ):
        load_dataset(write(tmp_path, ORG + REVIEW.replace("    recommendation_count: 0\n", "")))


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"commands\[0\] \(key 'org/a'\): .*colour: Extra"):
        load_dataset(write(tmp_path, ORG + "    colour: red\n"))


def test_an_unknown_command_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"commands\[0\]"):
        load_dataset(write(tmp_path, ORG.replace("RegisterOrganisation", "Frobnicate")))


def test_a_missing_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"commands\[0\] \(key None\)"):
        load_dataset(write(tmp_path, ORG.replace("- key: org/a\n    command", "- command")))


def test_a_key_used_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"commands\[1\] \(key 'org/a'\): key used twice"):
        load_dataset(write(tmp_path, ORG + ORG.replace("organisation_id: a", "organisation_id: b")))


def test_a_bad_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("dataset: Not An Id\ncommands: []\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.yaml"):
        load_dataset(path)


def test_invalid_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("commands: [\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not valid YAML"):
        load_dataset(path)
