"""The alert e-mails, rendered from the wording package's templates: plain text and a plain
HTML part in the style of GOV.UK Notify's e-mails (one column, no images, the quote set off,
links written out). ``templates/wording.jinja`` holds the macros the pages import too."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.common.wording import labels
from services.common.wording.alerts import Alert

ENV = Environment(
    loader=PackageLoader("services.common.wording", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)
ENV.globals["labels"] = labels


def email_text(alert: Alert) -> str:
    return ENV.get_template("alert.txt").render(alert=alert)


def email_html(alert: Alert) -> str:
    return ENV.get_template("alert.html").render(alert=alert)
