"""The registry's write routes, one command each, declared as a table.

The import CLI reads the same table to know where each command goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter

from services.registry.domain import commands as c
from services.registry.entrypoints.commands_api import add_command_route


@dataclass(frozen=True)
class CommandRoute:
    prefix: str
    path: str
    command: type[c.Command]
    summary: str
    path_fields: dict[str, str] = field(default_factory=dict)

    def url_for(self, cmd: c.Command) -> str | None:
        """The URL of this route for ``cmd``, or None when a path id is missing."""
        values = {p: getattr(cmd, f) for p, f in self.path_fields.items()}
        if any(v is None for v in values.values()):
            return None
        return self.prefix + self.path.format(**values)


def _ids(*names: str) -> dict[str, str]:
    return {name: name for name in names}


COMMAND_ROUTES = (
    CommandRoute("/v1/organisations", "", c.RegisterOrganisation, "Register an organisation"),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/rename",
        c.RenameOrganisation,
        "Rename an organisation",
        _ids("organisation_id"),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/merge",
        c.MergeOrganisation,
        "Make an organisation part of another",
        _ids("organisation_id"),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/dissolve",
        c.DissolveOrganisation,
        "Dissolve an organisation",
        _ids("organisation_id"),
    ),
    CommandRoute(
        "/v1/organisations",
        "/{organisation_id}/accountability",
        c.AssignAccountability,
        "Set whom an organisation is accountable to",
        _ids("organisation_id"),
    ),
    CommandRoute("/v1/reviews", "", c.PublishReview, "Publish a review"),
    CommandRoute(
        "/v1/reviews",
        "/{review_id}/recommendations",
        c.RecordRecommendation,
        "Record a recommendation or sub-point",
        _ids("review_id"),
    ),
    CommandRoute(
        "/v1/recommendations",
        "/{recommendation_id}/response",
        c.RecordGovernmentResponse,
        "Record the government response",
        _ids("recommendation_id"),
    ),
    CommandRoute(
        "/v1/recommendations",
        "/{recommendation_id}/progress",
        c.RecordImplementationProgress,
        "Record delivery progress on a recommendation",
        _ids("recommendation_id"),
    ),
    CommandRoute("/v1/responsibilities", "", c.AssignResponsibility, "Assign a responsibility"),
    CommandRoute(
        "/v1/responsibilities",
        "/{responsibility_id}/transfer",
        c.TransferResponsibility,
        "Transfer a responsibility",
        _ids("responsibility_id"),
    ),
    CommandRoute("/v1/actions", "", c.CommitAction, "Commit an action"),
    CommandRoute(
        "/v1/actions",
        "/{action_id}/progress",
        c.RecordImplementationProgress,
        "Record progress on an action",
        _ids("action_id"),
    ),
    CommandRoute(
        "/v1/actions",
        "/{action_id}/transfer",
        c.TransferAction,
        "Transfer an action to another owner",
        _ids("action_id"),
    ),
    CommandRoute(
        "/v1/changes",
        "/in-effect",
        c.RecordChangeInEffect,
        "Record that an announced change took effect",
    ),
    CommandRoute("/v1/changes", "/withdrawn", c.WithdrawChange, "Withdraw an announced change"),
    CommandRoute("/v1/corrections", "", c.CorrectRecords, "Correct earlier records by appending"),
)


def request_for(cmd: c.Command) -> tuple[str, str]:
    """The URL and JSON body that carry ``cmd`` over HTTP (path ids are left out of the body)."""
    for route in COMMAND_ROUTES:
        if isinstance(cmd, route.command) and (url := route.url_for(cmd)) is not None:
            exclude = {"command", *route.path_fields.values()}
            return url, cmd.model_dump_json(exclude=exclude)
    raise LookupError(f"no route for {type(cmd).__name__}")


def build_routers() -> list[APIRouter]:
    routers: dict[str, APIRouter] = {}
    for route in COMMAND_ROUTES:
        router = routers.setdefault(
            route.prefix, APIRouter(prefix=route.prefix, tags=[route.prefix.rsplit("/", 1)[-1]])
        )
        add_command_route(router, route.path, route.command, route.summary, route.path_fields)
    return list(routers.values())
