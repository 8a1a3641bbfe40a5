"""What a subscriber receives: the webhook id, the JSON payload and the e-mail text."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID, uuid5

from services.notifier.domain.reasons import stage_of

_NAMESPACE = UUID("0b6f4a36-5b0e-4d5c-9a55-2f3c4e1d7a90")


def webhook_id(event_id: UUID | str, subscription_id: UUID | str) -> str:
    """Deterministic per (event, subscription), so every retry carries the same id."""
    return f"msg_{uuid5(_NAMESPACE, f'{event_id}:{subscription_id}').hex}"


def payload(
    event: Mapping[str, Any], position: int, organisation_id: str, reasons: Iterable[str]
) -> dict[str, Any]:
    """The Standard Webhooks body: ``{type, timestamp, data}``; ``data.stage`` says whether
    the change is announced, in effect, took effect, withdrawn or a correction (null for an
    event that is not a change)."""
    stage = stage_of(str(event["type"]), event.get("stage"))
    return {
        "type": str(event["type"]),
        "timestamp": str(event["recorded_at"]),
        "data": {
            "recipient": {"organisation_id": organisation_id},
            "reasons": sorted(reasons),
            "stage": stage.value if stage else None,
            "event": dict(event),
            "position": position,
        },
    }


def body(message: Mapping[str, Any]) -> str:
    """Canonical JSON text of a payload (the bytes that are signed and sent)."""
    return json.dumps(message, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def email_subject(message: Mapping[str, Any]) -> str:
    data = message["data"]
    return f"Remit: {message['type']} affects {data['recipient']['organisation_id']}"


def email_text(message: Mapping[str, Any]) -> str:
    data = message["data"]
    event = data["event"]
    lines = [
        f"Event: {message['type']} (position {data['position']})",
        f"Organisation: {data['recipient']['organisation_id']}",
        f"Reasons: {', '.join(data['reasons'])}",
        f"Stage: {(data.get('stage') or 'not a change').replace('_', ' ')}",
        f"Stream: {event.get('stream_id')}",
    ]
    source = event.get("source") or {}
    if source.get("passage"):
        lines.append(f"Source: {source.get('document')}: “{source['passage']}”")
    return "\n".join(lines) + "\n"


def email_html(message: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<li>{html.escape(line)}</li>" for line in email_text(message).splitlines() if line
    )
    title = html.escape(email_subject(message))
    return f"<html><body><h1>{title}</h1><ul>{rows}</ul></body></html>"
