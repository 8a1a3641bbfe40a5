"""The Jinja2 environment of the pages: Remit's templates and GOV.UK Frontend's macros (the
``govuk-frontend-jinja`` port, pinned with the npm release the assets are built from)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from services.projections.entrypoints.pages import labels

ENV = Environment(
    loader=ChoiceLoader(
        [
            PackageLoader("services.projections.entrypoints.pages", "templates"),
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


ENV.filters["when"] = when
ENV.globals["labels"] = labels


def html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = ENV.get_template(template).render(request=request, **context)
    return HTMLResponse(body, status_code=status)
