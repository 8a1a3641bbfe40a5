"""What a command route publishes about itself beyond its body: statuses, concurrency headers and
OpenAPI links from its answer to what it changes.

Links go to the registry's own stream (``read_stream``), to the commands that may follow it here
(``operationId``), and to the read resources in the projections' document (``operationRef``
into ``<projections_url>/openapi.json``: a different service, so the reference is absolute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common.openapi import problems
from services.registry.entrypoints.models import CommandAccepted


@dataclass(frozen=True)
class Link:
    """A link from a command's answer: the ``operation`` it leads to, with each of its path
    parameters taken from a field of the request (``{"organisation_id": "parent_id"}``)."""

    name: str
    operation: str
    fields: dict[str, str]

    def parameters(self, path_ids: tuple[str, ...]) -> dict[str, str]:
        """The runtime expressions: a field the URL path carries is read from the path
        (``$request.path.organisation_id``), any other from the body."""
        return {
            parameter: f"$request.path.{f}" if f in path_ids else f"$request.body#/{f}"
            for parameter, f in self.fields.items()
        }


class Read(Link):
    """A read resource of the projections a command changes."""


class Follow(Link):
    """A command of the registry that may act on what this one made (with ``If-Match`` set
    to this answer's ``ETag``)."""


def read(name: str, operation: str, *same: str, **renamed: str) -> Read:
    """``same``: parameters filled by the request field of the same name; ``renamed``:
    parameter=field."""
    return Read(name, operation, {**{f: f for f in same}, **renamed})


def follow(name: str, operation: str, *same: str, **renamed: str) -> Follow:
    return Follow(name, operation, {**{f: f for f in same}, **renamed})


READ_PATHS = {
    "get_organisation": "/v1/organisations/{organisation_id}",
    "get_recommendation": "/v1/recommendations/{recommendation_id}",
    "get_responsibility": "/v1/responsibilities/{responsibility_id}",
    "review_summary": "/v1/reviews/{review_id}/summary",
}
"""The projections' operations links point to, by operationId (a unit test holds these to
the projections' document)."""


def _pointer(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def links(
    reads: tuple[Read, ...],
    follows: tuple[Follow, ...],
    path_ids: tuple[str, ...],
    projections_url: str,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "stream": {
            "operationId": "read_stream",
            "parameters": {"stream_id": "$response.body#/events/0/stream_id"},
            "description": "The stream this command appended to first, now (its `ETag` is "
            "the version to send as `If-Match` next).",
        }
    }
    base = projections_url.rstrip("/")
    for read in reads:
        pointer = _pointer(READ_PATHS[read.operation])
        found[read.name] = {
            "operationRef": f"{base}/openapi.json#/paths/{pointer}/get",
            "parameters": {
                **read.parameters(path_ids),
                "min_position": "$response.body#/position",
            },
            "description": f"Projections: `{read.operation}`, read with `min_position` set to "
            "this answer's position (it then reflects this command).",
        }
    for follow in follows:
        found[follow.name] = {
            "operationId": follow.operation,
            "parameters": {
                **follow.parameters(path_ids),
                "header.If-Match": "$response.header.ETag",
            },
            "description": f"`{follow.operation}` on what this command recorded, only if "
            "nothing was recorded there since.",
        }
    return found


def describe(stream: str, concurrency_note: str = "") -> str:
    """A command route's description: ``stream`` names (Markdown) the stream ``If-Match`` and
    ``ETag`` concern; ``concurrency_note``, whole sentences, ends that paragraph."""
    return (
        f"**Concurrency.** The stream this command concerns is {stream}. `If-Match` "
        "(optional) is the version the command expects that stream to have: the command is "
        "refused with 412 if the stream is at another version. Send the `ETag` of an earlier "
        "answer, or of `GET /v1/streams/{stream_id}`. The answer's `ETag` is that stream's "
        "version after the command (the stream is `events[0].stream_id`)."
        + (f" {concurrency_note}" if concurrency_note else "")
        + "\n\n"
        "**Retries.** With the same `Idempotency-Key` and the same body, a retry appends "
        "nothing and answers 200 with the first answer (`Idempotent-Replayed: true`).\n\n"
        "**Read your writes.** `position` is the global position of the last event appended: "
        "a read of the projections with `min_position` set to it reflects this command."
    )


HEADERS = {
    "ETag": 'The version of `events[0].stream_id` after the command, quoted (`"3"`).',
    "Remit-Position": "The global position of the last event appended (as `position`).",
    "Idempotent-Replayed": "`true` on a replay of an earlier request (status 200).",
}


def responses(
    reads: tuple[Read, ...], follows: tuple[Follow, ...], path_ids: tuple[str, ...], url: str
) -> dict[Any, Any]:
    """``responses=`` of a command route whose URL path carries ``path_ids``."""
    headers = {
        name: {"description": text, "schema": {"type": "string"}} for name, text in HEADERS.items()
    }
    answer = {
        "model": CommandAccepted,
        "headers": headers,
        "links": links(reads, follows, path_ids, url),
    }
    return {
        201: {"description": "Recorded: the events appended.", **answer},
        200: {
            "description": "A replay of an earlier request with this `Idempotency-Key`: its "
            "answer, nothing appended.",
            **answer,
        },
        **problems(
            409,
            412,
            422,
            s409="The id is taken, or a stream it reads moved on while it was decided (retry).",
            s422="Malformed (`errors[]`); or a rule of the register refuses it, a body, review, "
            "recommendation, responsibility, action or event it names included that does not "
            "exist (`title` and `detail` say which); or this `Idempotency-Key` came with a "
            "different request.",
        ),
    }
