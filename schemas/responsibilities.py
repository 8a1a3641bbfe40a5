"""Events of responsibility (``responsibility-<id>``) and action (``action-<id>``) streams."""

from __future__ import annotations

from typing import Literal

from schemas.changes import JustifiedChange
from schemas.envelope import DomainEvent, Identifier, Text


class ResponsibilityAssigned(JustifiedChange):
    """A body was (or is to be) given a responsibility."""

    type: Literal["ResponsibilityAssigned"] = "ResponsibilityAssigned"
    schema_version: Literal[2] = 2
    responsibility_id: Identifier
    description: Text
    holder_id: Identifier


class ResponsibilityTransferred(JustifiedChange):
    """A responsibility moved (or is to move) to another body.

    ``from_id`` is ``None`` when the source does not say who held it; ``instead_of_id`` names the
    body it had been proposed for, when the decision departs from a proposal.
    """

    type: Literal["ResponsibilityTransferred"] = "ResponsibilityTransferred"
    schema_version: Literal[3] = 3
    responsibility_id: Identifier
    description: Text
    from_id: Identifier | None = None
    to_id: Identifier
    instead_of_id: Identifier | None = None


class ActionCommitted(DomainEvent):
    """Government committed a body to an action that the review itself did not recommend.

    The commitment is a decision, recorded as made; who owns the action may change later
    (:class:`ActionTransferred`)."""

    type: Literal["ActionCommitted"] = "ActionCommitted"
    schema_version: Literal[1] = 1
    action_id: Identifier
    owner_id: Identifier
    description: Text
    review_id: Identifier | None = None
    recommendation_id: Identifier | None = None


class ActionTransferred(JustifiedChange):
    """An action moved (or is to move) to another owner."""

    type: Literal["ActionTransferred"] = "ActionTransferred"
    schema_version: Literal[1] = 1
    action_id: Identifier
    from_id: Identifier
    to_id: Identifier
