"""The "view as of" part of a page's address."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import QueryParams

from services.projections.entrypoints.pages.query import View, canonical, link
from services.projections.service_layer.ports import Bound


def test_a_date_is_the_end_of_that_day_as_in_the_api() -> None:
    view = View.of(QueryParams("as_of=2026-03-31"))
    assert view.bound == Bound(None, datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert not view.is_current and view.params() == {"as_of": "2026-03-31"}


def test_empty_fields_are_no_bound() -> None:
    view = View.of(QueryParams("as_of=&at_position="))
    assert view.bound == Bound() and view.is_current and view.errors == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("as_of=31/03/2026", "as_of"),
        ("at_position=0", "at_position"),
        ("at_position=x", "at_position"),
        ("at_position=99999999999999999999", "at_position"),
        ("as_of=2026-03-31&at_position=4", "at_position"),
    ],
)
def test_what_cannot_be_honoured_is_said_and_the_page_shows_now(query: str, field: str) -> None:
    view = View.of(QueryParams(query))
    assert list(view.errors) == [field]
    assert view.bound == Bound() and view.params() == {}
    assert view.error_list == [{"text": view.errors[field], "href": f"#{field}"}]


def test_a_submitted_form_is_redirected_to_its_shareable_address() -> None:
    assert canonical(QueryParams("as_of=&at_position=12&response=")) == "at_position=12"
    assert canonical(QueryParams("as_of=")) == ""
    assert canonical(QueryParams("at_position=12")) is None


def test_links_keep_the_view() -> None:
    view = View.of(QueryParams("at_position=7"))
    assert (
        link("/reviews/r", view, response="x", page=None) == "/reviews/r?response=x&at_position=7"
    )
    assert link("/", View()) == "/"
