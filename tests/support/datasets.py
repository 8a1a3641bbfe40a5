"""Datasets the end-to-end tests import: the Smith review, then a few commands quoted from a
made-up document, sent to a running registry the way ``remit import`` sends them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from services.cli.main import CliSettings
from services.common.auth import issue_token
from services.registry.dataset import Dataset, load_dataset
from services.registry.importer import import_commands

SMITH = Path(__file__).resolve().parents[2] / "data" / "smith-review.yaml"


@dataclass(frozen=True)
class MadeUpDocument:
    """Commands for a test, each quoting ``passage`` of a document called ``title``."""

    dataset: str
    title: str
    passage: str
    commands: list[dict[str, Any]]

    def write(self, folder: Path) -> Dataset:
        source = {"document": self.title, "passage": self.passage}
        document = {
            "dataset": self.dataset,
            "document": {"title": self.title, "file": "none"},
            "commands": [{**command, "source": source} for command in self.commands],
        }
        path = folder / f"{self.dataset}.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        return load_dataset(path)


def import_dataset(registry: str, dataset: Dataset, client: str) -> int:
    """Every command of ``dataset`` sent as ``client``; the position of the last one."""
    token = issue_token(CliSettings(), client, ["registry:write"])
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=registry, headers=headers, timeout=30) as http:
        summary = import_commands(http, dataset)
    assert not summary.failures, summary.failures
    return summary.position


def import_smith_then(registry: str, later: MadeUpDocument, folder: Path) -> int:
    """The Smith review, then ``later``, sent as the client ``later.dataset``; the last
    position."""
    import_dataset(registry, load_dataset(SMITH), later.dataset)
    return import_dataset(registry, later.write(folder), later.dataset)
