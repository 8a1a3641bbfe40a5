"""Importing a dataset through the registry's HTTP API, one command at a time, in order.

Each command is sent with ``Idempotency-Key: <dataset>:<key>``, so a second import replays the
first answers and appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from services.registry.dataset import Dataset
from services.registry.entrypoints.routers.writes import request_for


@dataclass
class ImportSummary:
    commands: int = 0
    appended: int = 0
    replayed: int = 0
    position: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


def import_commands(
    client: httpx.Client, dataset: Dataset, progress: Callable[[int], object] = lambda _: None
) -> ImportSummary:
    """Stop at the first refused command: later ones usually depend on it."""
    summary = ImportSummary()
    for key, command in dataset.commands:
        url, body = request_for(command)
        response = client.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": f"{dataset.dataset}:{key}",
                "X-Correlation-Id": f"{dataset.dataset}:{key}",
            },
        )
        summary.commands += 1
        progress(1)
        if response.status_code not in (200, 201):
            summary.failures.append(f"{key}: {response.status_code} {response.text}")
            break
        body = response.json()
        if body["replayed"]:
            summary.replayed += 1
        else:
            summary.appended += len(body["events"])
        summary.position = max(summary.position, body["position"] or 0)
    return summary
