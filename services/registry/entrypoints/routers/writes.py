"""The registry's write routes, one command each, declared as a table.

The import CLI reads the same table to know where each command goes. Each row also says, for
the published contract, which stream ``If-Match`` concerns (where it is not the resource's own),
which read resources the command changes (OpenAPI links into the projections' document) and what
may follow it here.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from fastapi import APIRouter

from schemas.streams import ID_FIELDS, PREFIXES
from services.registry.domain import commands as c
from services.registry.entrypoints.commands_api import add_command_route
from services.registry.entrypoints.contract import Follow, Read, follow, read


def own_stream(kind: str) -> str:
    """The stream of the entity a resource's URL names: ``organisation-{organisation_id}``."""
    return f"`{PREFIXES[kind]}{{{ID_FIELDS[kind]}}}`"


@dataclass(frozen=True)
class CommandRoute:
    """``POST path`` takes ``command``. What a row leaves out is derived: the operation id from
    the command's name (``RenameOrganisation``: ``rename_organisation``), the ids the URL
    carries from the ``{...}`` in ``path`` (fields of the command of the same name), the
    stream from the resource (``organisation-{organisation_id}`` under ``/v1/organisations``).
    Link parameters name request fields; those the path carries are read from it."""

    path: str
    command: type[c.Command]
    summary: str
    stream: str = ""
    """The stream ``If-Match`` and the answer's ``ETag`` concern: a noun phrase (Markdown, for
    the docs)."""
    concurrency_note: str = ""
    """Whole sentences (Markdown) that end the docs' paragraph on ``If-Match``: when another
    stream takes that one's place, or what a particular ``If-Match`` means here."""
    reads: tuple[Read, ...] = ()
    follows: tuple[Follow, ...] = ()
    operation_id: str = ""
    path_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        derived = {
            "operation_id": self.operation_id
            or re.sub(r"(?<!^)(?=[A-Z])", "_", self.command.__name__).lower(),
            "stream": self.stream or own_stream(self.kind),
            "path_ids": tuple(p for _, p, _, _ in string.Formatter().parse(self.path) if p),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def prefix(self) -> str:
        """The resource's URL, ``/v1/organisations``: the router it belongs to."""
        return "/".join(self.path.split("/")[:3])

    @property
    def kind(self) -> str:
        return self.prefix.rsplit("/", 1)[-1]

    def url_for(self, cmd: c.Command) -> str | None:
        """The URL of this route for ``cmd``, or None when a path id is missing."""
        values = {p: getattr(cmd, p) for p in self.path_ids}
        if any(v is None for v in values.values()):
            return None
        return self.path.format(**values)


MOVED_FIRST = (
    "When `move_holdings_to` moves what the body holds, those moves come first: `If-Match` "
    "and `ETag` then concern the first moved duty's stream (`events[0].stream_id`)."
)
CHANGE_STREAM = "the announcement's stream"
ORGANISATION = read("organisation", "get_organisation", "organisation_id")
RECOMMENDATION = read("recommendation", "get_recommendation", "recommendation_id")
RESPONSIBILITY = read("responsibility", "get_responsibility", "responsibility_id")

COMMAND_ROUTES = (
    CommandRoute(
        "/v1/organisations",
        c.RegisterOrganisation,
        "Register an organisation",
        concurrency_note='With `If-Match: "0"` the organisation is registered only if it is new.',
        reads=(ORGANISATION,),
        follows=(
            follow("rename", "rename_organisation", "organisation_id"),
            follow("dissolve", "dissolve_organisation", "organisation_id"),
        ),
    ),
    CommandRoute(
        "/v1/organisations/{organisation_id}/rename",
        c.RenameOrganisation,
        "Rename an organisation",
        reads=(ORGANISATION,),
        follows=(follow("rename", "rename_organisation", "organisation_id"),),
    ),
    CommandRoute(
        "/v1/organisations/{organisation_id}/merge",
        c.MergeOrganisation,
        "Make an organisation part of another",
        concurrency_note=MOVED_FIRST,
        reads=(ORGANISATION, read("parent", "get_organisation", organisation_id="parent_id")),
    ),
    CommandRoute(
        "/v1/organisations/{organisation_id}/dissolve",
        c.DissolveOrganisation,
        "Dissolve an organisation",
        concurrency_note=MOVED_FIRST,
        reads=(ORGANISATION,),
    ),
    CommandRoute(
        "/v1/organisations/{organisation_id}/accountability",
        c.AssignAccountability,
        "Set whom an organisation is accountable to",
        reads=(
            ORGANISATION,
            read("accountable_to", "get_organisation", organisation_id="accountable_to_id"),
        ),
    ),
    CommandRoute(
        "/v1/reviews",
        c.PublishReview,
        "Publish a review",
        reads=(read("summary", "review_summary", "review_id"),),
        follows=(follow("recommend", "record_recommendation", "review_id"),),
    ),
    CommandRoute(
        "/v1/reviews/{review_id}/recommendations",
        c.RecordRecommendation,
        "Record a recommendation or sub-point",
        stream="`recommendation-{recommendation_id}` (the body's `recommendation_id`)",
        reads=(RECOMMENDATION, read("summary", "review_summary", "review_id")),
        follows=(follow("respond", "record_government_response", "recommendation_id"),),
    ),
    CommandRoute(
        "/v1/recommendations/{recommendation_id}/response",
        c.RecordGovernmentResponse,
        "Record the government response",
        reads=(RECOMMENDATION,),
        follows=(follow("progress", "record_recommendation_progress", "recommendation_id"),),
    ),
    CommandRoute(
        "/v1/recommendations/{recommendation_id}/progress",
        c.RecordImplementationProgress,
        "Record delivery progress on a recommendation",
        reads=(RECOMMENDATION,),
        operation_id="record_recommendation_progress",
    ),
    CommandRoute(
        "/v1/responsibilities",
        c.AssignResponsibility,
        "Assign a responsibility",
        reads=(RESPONSIBILITY, read("holder", "get_organisation", organisation_id="holder_id")),
        follows=(follow("transfer", "transfer_responsibility", "responsibility_id"),),
    ),
    CommandRoute(
        "/v1/responsibilities/{responsibility_id}/transfer",
        c.TransferResponsibility,
        "Transfer a responsibility",
        reads=(RESPONSIBILITY, read("receiver", "get_organisation", organisation_id="to_id")),
    ),
    CommandRoute(
        "/v1/actions",
        c.CommitAction,
        "Commit an action",
        reads=(read("owner", "get_organisation", organisation_id="owner_id"),),
        follows=(
            follow("transfer", "transfer_action", "action_id"),
            follow("progress", "record_action_progress", "action_id"),
        ),
    ),
    CommandRoute(
        "/v1/actions/{action_id}/progress",
        c.RecordImplementationProgress,
        "Record progress on an action",
        operation_id="record_action_progress",
    ),
    CommandRoute(
        "/v1/actions/{action_id}/transfer",
        c.TransferAction,
        "Transfer an action to another owner",
        reads=(read("receiver", "get_organisation", organisation_id="to_id"),),
    ),
    CommandRoute(
        "/v1/changes/in-effect",
        c.RecordChangeInEffect,
        "Record that an announced change took effect",
        stream=CHANGE_STREAM,
    ),
    CommandRoute(
        "/v1/changes/withdrawn",
        c.WithdrawChange,
        "Withdraw an announced change",
        stream=CHANGE_STREAM,
    ),
    CommandRoute(
        "/v1/corrections",
        c.CorrectRecords,
        "Correct earlier records by appending",
        stream="the first stream it corrects, in stream-id order",
    ),
)


def request_for(cmd: c.Command) -> tuple[str, str]:
    """The URL and JSON body that carry ``cmd`` over HTTP (path ids are left out of the body)."""
    for route in COMMAND_ROUTES:
        if isinstance(cmd, route.command) and (url := route.url_for(cmd)) is not None:
            exclude = {"command", *route.path_ids}
            return url, cmd.model_dump_json(exclude=exclude)
    raise LookupError(f"no route for {type(cmd).__name__}")


def build_routers(projections_url: str) -> list[APIRouter]:
    """``projections_url``: where the read resources the links point to are published."""
    routers: dict[str, APIRouter] = {}
    for route in COMMAND_ROUTES:
        router = routers.setdefault(route.prefix, APIRouter(prefix=route.prefix, tags=[route.kind]))
        add_command_route(router, route, projections_url)
    return list(routers.values())
