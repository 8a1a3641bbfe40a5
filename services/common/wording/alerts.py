"""An alert as a person reads it: what changed, for whom, why, where the change stands, the
passage it quotes, and the page that shows it.

The notifier gives the alert's message (the event, the recipient, the reasons, the stage) and a
:class:`Context` (what Remit knows around it: names, the recommendation and its response, the
announcement a settling event names); :func:`compose` says it in the words the pages use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.reviews import RESPONSE_KINDS
from services.common.wording import labels
from services.common.wording.changes import CHANGE_TYPES, Event, change, mid, name, subject
from services.common.wording.events import describe
from services.common.wording.links import Links, links
from services.common.wording.reasons import told


@dataclass(frozen=True)
class Recommendation:
    """The recommendation an event is about, as Remit knows it when the alert is written."""

    id: str
    number: str | None = None
    text: str | None = None
    response: str | None = None
    """The response kind (``implement_in_full`` ...), None while there is none."""
    response_text: str | None = None


@dataclass(frozen=True)
class Context:
    names: Mapping[str, str] = field(default_factory=dict)
    """Bodies' names by id (an id without one is shown as itself)."""
    recommendation: Recommendation | None = None
    announced: Mapping[str, Event] = field(default_factory=dict)
    """Announcements by event id (what a ``ChangeTookEffect``/``ChangeWithdrawn`` settles)."""
    things: Mapping[str, str] = field(default_factory=dict)
    """Descriptions of the responsibilities and actions by stream id (a correction's subject)."""


@dataclass(frozen=True)
class Alert:
    subject: str
    summary: str
    """One line: the stage, what changed, and why the recipient is told."""
    headline: str
    recipient: str
    stage: str | None
    details: list[str]
    told: list[str]
    why: str | None
    source: dict[str, Any]
    links: Links
    position: int
    event_type: str


def compose(message: Mapping[str, Any], context: Context, base_url: str) -> Alert:
    """``message``: the webhook payload's ``type`` and ``data`` (recipient, reasons, stage,
    event, position)."""
    data = message["data"]
    event: Event = data["event"]
    kind, stage = str(message["type"]), data.get("stage")
    names = context.names
    recipient_id = data["recipient"]["organisation_id"]
    recipient = name(names, recipient_id)
    headline, details = _headline(kind, event, stage, context)
    about = context.announced.get(str(event.get("announced_event_id")), event)
    reasons = told(data["reasons"], recipient, about, names, _settled_stage(kind, stage))
    why = _why(context.recommendation)
    summary = " ".join([f"{headline}.", *reasons[:1]])
    return Alert(
        subject=_subject(headline),
        summary=summary,
        headline=headline,
        recipient=recipient,
        stage=stage,
        details=details,
        told=reasons,
        why=why,
        source=dict(event.get("source") or {}),
        links=links(event, recipient_id, base_url),
        position=int(data["position"]),
        event_type=kind,
    )


def _settled_stage(kind: str, stage: str | None) -> str | None:
    """The tense the reasons are said in (a correction's reasons speak of the corrected
    records: as they now stand)."""
    return None if kind == "RecordsCorrected" else stage


def _headline(kind: str, e: Event, stage: str | None, context: Context) -> tuple[str, list[str]]:
    """The main sentence (without full stop) and the lines that add to it."""
    names = context.names
    if kind in CHANGE_TYPES:
        title = change(kind, e, names, stage)
        _, lines = describe(kind, e, names)
        return f"{labels.stage(stage)}: {title}" if stage else title, lines
    if kind == "RecordsCorrected":
        return _corrected(e, context)
    title, lines = describe(kind, e, names, context.announced)
    rec = context.recommendation
    number = f"recommendation {rec.number}" if rec and rec.number else "the recommendation"
    if kind in RESPONSE_KINDS:
        verdict = labels.response(RESPONSE_KINDS[kind])
        return f"Government response to {number}: {verdict}", lines
    if kind == "ImplementationProgressRecorded":
        about = number if e.get("recommendation_id") else "the action"
        return f"Progress on {about}: {labels.delivery(e.get('status'))}", lines
    if kind == "RecommendationRecorded":
        return f"{number[:1].upper()}{number[1:]} recorded: “{e.get('text')}”", lines
    return title, lines


def _corrected(e: Event, context: Context) -> tuple[str, list[str]]:
    """A correction: which records, why, and each record before and after, in words."""
    stream = str(e.get("stream_id") or "")
    about = mid(context.things.get(stream) or _stream_subject(stream, context))
    lines = [str(e["reason"])] if e.get("reason") else []
    for record in e.get("retracted") or ():
        lines.append(f"Withdrawn from the record: {_record(record['event'], context)}.")
    for record in e.get("replaced") or ():
        before, after = (_record(record[k], context) for k in ("event", "replacement"))
        lines.append(f"Recorded before: {before}. Now: {after}.")
    return f"Correction: the records about {about} were corrected", lines


def _record(e: Event, context: Context) -> str:
    kind = str(e.get("type"))
    title, _ = describe(kind, e, context.names, context.announced)
    stage = e.get("stage")
    return f"{title} ({labels.stage(stage).lower()})" if stage else title


def _stream_subject(stream: str, context: Context) -> str:
    kind, _, entity = stream.partition("-")
    if kind == "organisation":
        return name(context.names, entity)
    if kind == "recommendation" and context.recommendation and context.recommendation.number:
        return f"recommendation {context.recommendation.number}"
    if kind in ("responsibility", "action"):
        return subject({f"{kind}_id": entity}, context.names)
    return stream


def _why(rec: Recommendation | None) -> str | None:
    """The recommendation behind the change and the government's response to it."""
    if rec is None:
        return None
    said = f"Recommendation {rec.number}" if rec.number else "A recommendation"
    if rec.text:
        text = _short(rec.text)
        said += f": “{text}”" + ("" if text.endswith((".", "!", "?", "…")) else ".")
    else:
        said += "."
    if rec.response:
        return f"{said} The government's response: {labels.response(rec.response)}."
    return f"{said} The government has not responded to it on its own."


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _subject(headline: str) -> str:
    return _short(headline, 120)
