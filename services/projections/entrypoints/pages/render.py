"""The Jinja2 environment of the pages: Remit's templates, the wording package's (the macros
the alert e-mails use too: ``wording.jinja``), and GOV.UK Frontend's macros (the
``govuk-frontend-jinja`` port, pinned with the npm release the assets are built from)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from services.common.wording import labels

ENV = Environment(
    loader=ChoiceLoader(
        [
            PackageLoader("services.projections.entrypoints.pages", "templates"),
            PackageLoader("services.common.wording", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)


def when(value: str | datetime | date | None) -> str:
    """A timestamp or date as people read it: ``25 November 2026, 14:03 UTC``."""
    if value is None or value == "":
        return "not known"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return f"{value.day} {value:%B %Y, %H:%M} UTC"
    return f"{value.day} {value:%B %Y}"


def valid_when(item: dict[str, Any]) -> str:
    """When a fact holds from, as the read model knows it: the time it occurred, else its
    valid-time bounds (the source gives no date), else when Remit recorded it."""
    if item.get("occurred_at"):
        return when(item["occurred_at"])
    valid = item.get("valid") or {}
    if valid.get("at"):
        return when(valid["at"])
    after, before = valid.get("not_before"), valid.get("not_after")
    if after and before:
        return f"between {when(after)} and {when(before)}"
    if before:
        return f"by {when(before)} (when it was recorded)"
    return f"recorded {when(item.get('recorded_at'))}" if item.get("recorded_at") else "not known"


ENV.filters["when"] = when
ENV.filters["valid_when"] = valid_when
ENV.globals["labels"] = labels


def html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = ENV.get_template(template).render(request=request, **context)
    return HTMLResponse(body, status_code=status)
