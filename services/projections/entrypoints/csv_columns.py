"""The CSV variant of the answers that have one: its columns, in order, per kind of row.

:func:`~.responses.answer` writes exactly these columns (whatever the rows hold besides) and
the OpenAPI document lists them; a unit test holds the rows the routes build to them. A cell
holding a list or an object is JSON; an absent value is empty.
"""

from __future__ import annotations

COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": (
        "id",
        "name",
        "kind",
        "abbreviation",
        "status",
        "former_names",
        "parent",
        "accountable_to",
        "announced",
        "valid",
        "uncertain",
    ),
    "organisation_history": (
        "position",
        "type",
        "stream_id",
        "stream_version",
        "occurred_at",
        "recorded_at",
        "summary",
    ),
    "board": (
        "id",
        "review_id",
        "number",
        "text",
        "response",
        "response_inherited_from",
        "delivery",
        "leads",
        "supporters",
        "roles",
        "sub_points",
    ),
    "handovers": (
        "description",
        "change",
        "stage",
        "event_id",
        "position",
        "valid",
        "expected_on",
        "settled_position",
        "settled",
        "withdrawal_reason",
        "from",
        "to",
        "instead_of",
        "recommendation_id",
        "reason",
        "source",
    ),
}

MEANING = {
    "organisations": "one row per organisation",
    "organisation_history": "one row per event of the body's history (`summary`: its name, "
    "text or reason, cut at 200 characters)",
    "board": "one row per recommendation of the page; `leads`, `supporters`: ids joined by `;`; "
    "`roles`: `id:role` joined by `;`; `sub_points`: how many",
    "handovers": "one row per hand-over of the responsibility",
}
