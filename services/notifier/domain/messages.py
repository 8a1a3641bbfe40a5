"""What a subscriber receives: the webhook id, the JSON payload and the e-mail.

The payload is version 2: version 1's fields, unchanged, plus ``data.version``, ``data.summary``
(one line a person can read) and ``data.links`` (the pages that show it); the e-mail is the
same alert in full. Both are said by :mod:`services.common.wording`, the words the pages use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from services.common.wording import render
from services.common.wording.alerts import Alert, Context, compose
from services.notifier.domain.reasons import stage_of

_NAMESPACE = UUID("0b6f4a36-5b0e-4d5c-9a55-2f3c4e1d7a90")

PAYLOAD_VERSION = 2
"""``data.version`` of the payloads sent now (absent in version 1), and the value of the
``Remit-Payload-Version`` header of every webhook request."""
PAYLOAD_VERSION_HEADER = "remit-payload-version"


def webhook_id(event_id: UUID | str, subscription_id: UUID | str) -> str:
    """Deterministic per (event, subscription), so every retry carries the same id."""
    return f"msg_{uuid5(_NAMESPACE, f'{event_id}:{subscription_id}').hex}"


def payload(
    event: Mapping[str, Any], position: int, organisation_id: str, reasons: Iterable[str]
) -> dict[str, Any]:
    """The version 1 body, Standard Webhooks' ``{type, timestamp, data}``; ``data.stage`` says
    whether the change is announced, in effect, took effect, withdrawn or a correction (null
    for an event that is not a change)."""
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


@dataclass(frozen=True)
class Message:
    """An alert ready to send: the payload (version 2) and the alert it says."""

    body: dict[str, Any]
    alert: Alert

    @property
    def text(self) -> str:
        """Canonical JSON text of the payload (the bytes that are signed and sent)."""
        return body(self.body)

    @property
    def email_subject(self) -> str:
        return self.alert.subject

    @property
    def email_text(self) -> str:
        return render.email_text(self.alert)

    @property
    def email_html(self) -> str:
        return render.email_html(self.alert)


def message(
    event: Mapping[str, Any],
    position: int,
    organisation_id: str,
    reasons: Iterable[str],
    context: Context,
    pages_base_url: str,
) -> Message:
    """The version 2 payload of an alert, with the alert it says."""
    body = payload(event, position, organisation_id, reasons)
    alert = compose(body, context, pages_base_url)
    data = body["data"]
    data["version"] = PAYLOAD_VERSION
    data["summary"] = alert.summary
    data["links"] = dict(alert.links)
    return Message(body, alert)


def body(message: Mapping[str, Any]) -> str:
    """Canonical JSON text of a payload (the bytes that are signed and sent)."""
    return json.dumps(message, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
