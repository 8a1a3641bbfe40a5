"""The registry's write routes, one command each, declared as a table.

The import CLI reads the same table to know where each command goes. Each row also says, for
the published contract, which stream ``If-Match`` concerns, which read resources the command
changes (OpenAPI links into the projections' document) and what may follow it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter

from services.registry.domain import commands as c
from services.registry.entrypoints.commands_api import add_command_route
from services.registry.entrypoints.contract import Follow, Read, follow, read


@dataclass(frozen=True)
class CommandRoute:
    prefix: str
    path: str
    command: type[c.Command]
    summary: str
    path_fields: dict[str, str] = field(default_factory=dict)
    operation_id: str = ""
    stream: str = ""
    """The stream ``If-Match`` and the answer's ``ETag`` concern (Markdown, for the docs)."""
    reads: tuple[Read, ...] = ()
    follows: tuple[Follow, ...] = ()

    def url_for(self, cmd: c.Command) -> str | None:
        """The URL of this route for ``cmd``, or None when a path id is missing."""
        values = {p: getattr(cmd, f) for p, f in self.path_fields.items()}
        if any(v is None for v in values.values()):
            return None
        return self.prefix + self.path.format(**values)


def _ids(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _body(name: str) -> str:
    return f"$request.body#/{name}"


def _path(name: str) -> str:
    return f"$request.path.{name}"


MOVED_FIRST = (
    " When `move_holdings_to` moves what the body holds, those moves come first: `If-Match` "
    "and `ETag` then concern the first moved duty's stream (`events[0].stream_id`)."
)
ORGANISATION_STREAM = "`organisation-{organisation_id}`"

COMMAND_ROUTES = (
    CommandRoute(
        "/v1/organisations",
        "",
        c.RegisterOrganisation,
        "Register an organisation",
        operation_id="register_organisation",
        stream='`organisation-{organisation_id}` (`If-Match: "0"`: only if it is new)',
        reads=(read("organisation", "get_organisation", organisation_id=_body("organisation_id")),),
        follows=(
            follow("rename", "rename_organisation", organisation_id=_body("organisation_id")),
            follow("dissolve", "dissolve_organisation", organisation_id=_body("organisation_id")),
        ),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/rename",
        c.RenameOrganisation,
        "Rename an organisation",
        _ids("organisation_id"),
        operation_id="rename_organisation",
        stream=ORGANISATION_STREAM,
        reads=(read("organisation", "get_organisation", organisation_id=_path("organisation_id")),),
        follows=(
            follow("rename", "rename_organisation", organisation_id=_path("organisation_id")),
        ),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/merge",
        c.MergeOrganisation,
        "Make an organisation part of another",
        _ids("organisation_id"),
        operation_id="merge_organisation",
        stream=ORGANISATION_STREAM + "." + MOVED_FIRST,
        reads=(
            read("organisation", "get_organisation", organisation_id=_path("organisation_id")),
            read("parent", "get_organisation", organisation_id=_body("parent_id")),
        ),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/dissolve",
        c.DissolveOrganisation,
        "Dissolve an organisation",
        _ids("organisation_id"),
        operation_id="dissolve_organisation",
        stream=ORGANISATION_STREAM + "." + MOVED_FIRST,
        reads=(read("organisation", "get_organisation", organisation_id=_path("organisation_id")),),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/accountability",
        c.AssignAccountability,
        "Set whom an organisation is accountable to",
        _ids("organisation_id"),
        operation_id="assign_accountability",
        stream=ORGANISATION_STREAM,
        reads=(
            read("organisation", "get_organisation", organisation_id=_path("organisation_id")),
            read("accountable_to", "get_organisation", organisation_id=_body("accountable_to_id")),
        ),
    ),
    CommandRoute(
        "/v1/reviews",
        "",
        c.PublishReview,
        "Publish a review",
        operation_id="publish_review",
        stream="`review-{review_id}`",
        reads=(read("summary", "review_summary", review_id=_body("review_id")),),
        follows=(follow("recommend", "record_recommendation", review_id=_body("review_id")),),
    ),
    CommandRoute(
        "/v1/reviews",
        "/{review_id}/recommendations",
        c.RecordRecommendation,
        "Record a recommendation or sub-point",
        _ids("review_id"),
        operation_id="record_recommendation",
        stream="`recommendation-{recommendation_id}` (the body's `recommendation_id`)",
        reads=(
            read(
                "recommendation",
                "get_recommendation",
                recommendation_id=_body("recommendation_id"),
            ),
            read("summary", "review_summary", review_id=_path("review_id")),
        ),
        follows=(
            follow(
                "respond",
                "record_government_response",
                recommendation_id=_body("recommendation_id"),
            ),
        ),
    ),
    CommandRoute(
        "/v1/recommendations",
        "/{recommendation_id}/response",
        c.RecordGovernmentResponse,
        "Record the government response",
        _ids("recommendation_id"),
        operation_id="record_government_response",
        stream="`recommendation-{recommendation_id}`",
        reads=(
            read(
                "recommendation",
                "get_recommendation",
                recommendation_id=_path("recommendation_id"),
            ),
        ),
        follows=(
            follow(
                "progress",
                "record_recommendation_progress",
                recommendation_id=_path("recommendation_id"),
            ),
        ),
    ),
    CommandRoute(
        "/v1/recommendations",
        "/{recommendation_id}/progress",
        c.RecordImplementationProgress,
        "Record delivery progress on a recommendation",
        _ids("recommendation_id"),
        operation_id="record_recommendation_progress",
        stream="`recommendation-{recommendation_id}`",
        reads=(
            read(
                "recommendation",
                "get_recommendation",
                recommendation_id=_path("recommendation_id"),
            ),
        ),
    ),
    CommandRoute(
        "/v1/responsibilities",
        "",
        c.AssignResponsibility,
        "Assign a responsibility",
        operation_id="assign_responsibility",
        stream="`responsibility-{responsibility_id}`",
        reads=(
            read(
                "responsibility",
                "get_responsibility",
                responsibility_id=_body("responsibility_id"),
            ),
            read("holder", "get_organisation", organisation_id=_body("holder_id")),
        ),
        follows=(
            follow(
                "transfer",
                "transfer_responsibility",
                responsibility_id=_body("responsibility_id"),
            ),
        ),
    ),
    CommandRoute(
        "/v1/responsibilities",
        "/{responsibility_id}/transfer",
        c.TransferResponsibility,
        "Transfer a responsibility",
        _ids("responsibility_id"),
        operation_id="transfer_responsibility",
        stream="`responsibility-{responsibility_id}`",
        reads=(
            read(
                "responsibility",
                "get_responsibility",
                responsibility_id=_path("responsibility_id"),
            ),
            read("receiver", "get_organisation", organisation_id=_body("to_id")),
        ),
    ),
    CommandRoute(
        "/v1/actions",
        "",
        c.CommitAction,
        "Commit an action",
        operation_id="commit_action",
        stream="`action-{action_id}`",
        reads=(read("owner", "get_organisation", organisation_id=_body("owner_id")),),
        follows=(
            follow("transfer", "transfer_action", action_id=_body("action_id")),
            follow("progress", "record_action_progress", action_id=_body("action_id")),
        ),
    ),
    CommandRoute(
        "/v1/actions",
        "/{action_id}/progress",
        c.RecordImplementationProgress,
        "Record progress on an action",
        _ids("action_id"),
        operation_id="record_action_progress",
        stream="`action-{action_id}`",
    ),
    CommandRoute(
        "/v1/actions",
        "/{action_id}/transfer",
        c.TransferAction,
        "Transfer an action to another owner",
        _ids("action_id"),
        operation_id="transfer_action",
        stream="`action-{action_id}`",
        reads=(read("receiver", "get_organisation", organisation_id=_body("to_id")),),
    ),
    CommandRoute(
        "/v1/changes",
        "/in-effect",
        c.RecordChangeInEffect,
        "Record that an announced change took effect",
        operation_id="record_change_in_effect",
        stream="the announcement's stream",
    ),
    CommandRoute(
        "/v1/changes",
        "/withdrawn",
        c.WithdrawChange,
        "Withdraw an announced change",
        operation_id="withdraw_change",
        stream="the announcement's stream",
    ),
    CommandRoute(
        "/v1/corrections",
        "",
        c.CorrectRecords,
        "Correct earlier records by appending",
        operation_id="correct_records",
        stream="the first stream it corrects, in stream-id order (`events[0].stream_id`)",
    ),
)


def request_for(cmd: c.Command) -> tuple[str, str]:
    """The URL and JSON body that carry ``cmd`` over HTTP (path ids are left out of the body)."""
    for route in COMMAND_ROUTES:
        if isinstance(cmd, route.command) and (url := route.url_for(cmd)) is not None:
            exclude = {"command", *route.path_fields.values()}
            return url, cmd.model_dump_json(exclude=exclude)
    raise LookupError(f"no route for {type(cmd).__name__}")


def build_routers(projections_url: str) -> list[APIRouter]:
    """``projections_url``: where the read resources the links point to are published."""
    routers: dict[str, APIRouter] = {}
    for route in COMMAND_ROUTES:
        router = routers.setdefault(
            route.prefix, APIRouter(prefix=route.prefix, tags=[route.prefix.rsplit("/", 1)[-1]])
        )
        add_command_route(router, route, projections_url)
    return list(routers.values())
