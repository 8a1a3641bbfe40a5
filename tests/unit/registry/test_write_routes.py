"""The write route table states little per row; what it derives must still name real things."""

from __future__ import annotations

import re

import pytest

from services.registry.entrypoints.contract import describe
from services.registry.entrypoints.routers.writes import COMMAND_ROUTES, CommandRoute

ROUTES = {route.operation_id: route for route in COMMAND_ROUTES}


def test_operation_ids_are_the_command_names_unless_a_row_says_otherwise() -> None:
    assert len(ROUTES) == len(COMMAND_ROUTES)
    assert ROUTES["rename_organisation"].path == "/v1/organisations/{organisation_id}/rename"
    assert ROUTES["record_change_in_effect"].path == "/v1/changes/in-effect"
    assert (
        ROUTES["record_action_progress"].command is ROUTES["record_recommendation_progress"].command
    )


@pytest.mark.parametrize("route", COMMAND_ROUTES, ids=lambda route: route.operation_id)
def test_path_ids_and_link_fields_are_fields_of_the_command(route: CommandRoute) -> None:
    fields = set(route.command.model_fields)
    assert set(route.path_ids) <= fields
    for link in (*route.reads, *route.follows):
        assert set(link.fields.values()) <= fields, link.name
    for follow in route.follows:
        assert follow.operation in ROUTES


def test_a_stream_left_out_is_the_resource_entity_stream() -> None:
    assert ROUTES["transfer_action"].stream == "`action-{action_id}`"
    assert ROUTES["publish_review"].stream == "`review-{review_id}`"
    assert ROUTES["register_organisation"].path_ids == ()


@pytest.mark.parametrize("route", COMMAND_ROUTES, ids=lambda route: route.operation_id)
def test_the_description_is_whole_sentences(route: CommandRoute) -> None:
    """What a row says about its stream joins the description's sentences without breaking one
    (``... (`events[0].stream_id`). this command expects ...`` once did)."""
    text = describe(route.stream, route.concurrency_note)
    for paragraph in text.split("\n\n"):
        assert paragraph.endswith(".")
        starts = re.findall(r"[.!?] +(\S)", paragraph)
        assert all(c.isupper() or c in "`*" for c in starts), paragraph
