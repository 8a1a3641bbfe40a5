"""The "view as of" part of a page's address: ``as_of`` (a date or a date and time) or
``at_position``, the same bound the JSON API takes, read leniently from a form (empty fields
are no bound) and kept in every link so an address stays shareable."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from services.common.positions import MAX_POSITION
from services.projections.entrypoints.deps import parse_as_of
from services.projections.errors import BadQuery
from services.projections.service_layer.ports import Bound

BOUND_KEYS = ("as_of", "at_position")


@dataclass(frozen=True)
class View:
    """What a page was asked for: the bound, as given, and what was wrong with it."""

    as_of: str = ""
    at_position: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, query: QueryParams) -> View:
        as_of = query.get("as_of", "").strip()
        at_position = query.get("at_position", "").strip()
        errors: dict[str, str] = {}
        if as_of:
            try:
                parse_as_of(as_of)
            except BadQuery:
                errors["as_of"] = (
                    "Enter a date like 2026-03-31, or a date and time like 2026-03-31T14:30"
                )
        if at_position and not (
            at_position.isascii() and at_position.isdigit() and 0 < int(at_position) <= MAX_POSITION
        ):
            errors["at_position"] = "Enter a position as a whole number, 1 or more"
        if as_of and at_position and not errors:
            errors["at_position"] = "Give a date or a position, not both"
        return cls(as_of, at_position, errors)

    @property
    def bound(self) -> Bound:
        if self.errors:
            return Bound()
        return Bound(
            int(self.at_position) if self.at_position else None,
            parse_as_of(self.as_of) if self.as_of else None,
        )

    @property
    def is_current(self) -> bool:
        return not (self.as_of or self.at_position) or bool(self.errors)

    @property
    def error_list(self) -> list[dict[str, str]]:
        """The errors as GOV.UK's error summary lists them (each links to its field)."""
        return [{"text": text, "href": f"#{key}"} for key, text in self.errors.items()]

    def params(self) -> dict[str, str]:
        """The bound as query parameters, for links that keep it."""
        if self.errors:
            return {}
        return {k: v for k, v in (("as_of", self.as_of), ("at_position", self.at_position)) if v}


def canonical(query: QueryParams) -> str | None:
    """The query without empty parameters, if any were sent (a submitted form), else None."""
    items = query.multi_items()
    kept = [(k, v.strip()) for k, v in items if v.strip()]
    return urlencode(kept) if len(kept) != len(items) else None


def link(path: str, view: View, **params: str | int | None) -> str:
    """``path`` with ``params`` (those not None) and the view's bound."""
    query = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    query.update(view.params())
    return f"{path}?{urlencode(query)}" if query else path
