"""Importing a dataset through the registry's HTTP API, one command at a time, in order.

Each command is sent with ``Idempotency-Key: <dataset>:<key>``, so a second import replays the
first answers and appends nothing, and a command whose request failed in transit (the registry
restarting, say) can be sent again: the registry decides it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
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


RESENDS = (1.0, 2.0, 4.0, 8.0)
"""Seconds to wait before each new try of a command whose request failed in transit."""


def import_commands(
    client: httpx.Client,
    dataset: Dataset,
    progress: Callable[[int], object] = lambda _: None,
    resends: Sequence[float] = RESENDS,
) -> ImportSummary:
    """Stop at the first refused command: later ones usually depend on it. A request that fails
    in transit is sent again after each wait of ``resends``; then its error is raised."""
    summary = ImportSummary()
    for key, command in dataset.commands:
        url, body = request_for(command)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"{dataset.dataset}:{key}",
            "X-Correlation-Id": f"{dataset.dataset}:{key}",
        }
        response = _post(client, url, body, headers, resends)
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


def _post(
    client: httpx.Client, url: str, body: str, headers: dict[str, str], resends: Sequence[float]
) -> httpx.Response:
    for wait in resends:
        try:
            return client.post(url, content=body, headers=headers)
        except httpx.TransportError:
            time.sleep(wait)
    return client.post(url, content=body, headers=headers)
