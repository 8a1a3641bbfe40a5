"""``remit status``: readiness of each service, plus lag and backlog read from /metrics."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def _metric_sum(text: str, suffix: str) -> float | None:
    total, found = 0.0, False
    for family in text_string_to_metric_families(text):
        if family.name.endswith(suffix):
            for sample in family.samples:
                total += sample.value
                found = True
    return total if found else None


def collect(urls: dict[str, str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with httpx.Client(timeout=3) as client:
        for service, url in urls.items():
            row: dict[str, object] = {"service": service, "url": url, "ready": False}
            try:
                ready = client.get(f"{url}/readyz")
                row["ready"] = ready.status_code == 200
                body = ready.json()
                row["detail"] = (
                    body.get("reasons") or body.get("problems") or body.get("status", "")
                )
                metrics = client.get(f"{url}/metrics").text
                row["lag"] = _metric_sum(metrics, "_consumer_lag")
                row["backlog"] = _metric_sum(metrics, "_outbox_backlog")
            except (httpx.HTTPError, ValueError) as exc:
                row["detail"] = f"unreachable: {exc}"
            rows.append(row)
    return rows
