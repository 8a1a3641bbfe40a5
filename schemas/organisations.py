"""Events of an organisation's stream (``organisation-<id>``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import DomainEvent, Identifier, OrganisationKind, ShortText, Text


class OrganisationRegistered(DomainEvent):
    """A body Remit tracks came into view: a national organisation, board, network or team."""

    type: Literal["OrganisationRegistered"] = "OrganisationRegistered"
    schema_version: Literal[2] = 2
    organisation_id: Identifier
    name: ShortText
    kind: OrganisationKind
    abbreviation: ShortText | None = None
    description: Text | None = None
    member_count: int | None = Field(
        default=None, ge=0, description="For a group of bodies: how many, if the source says."
    )
    members_known: bool = Field(
        default=True, description="False when the source names a group without its members."
    )


class OrganisationRenamed(DomainEvent):
    """The body took a new name; the old one stays in its history."""

    type: Literal["OrganisationRenamed"] = "OrganisationRenamed"
    schema_version: Literal[1] = 1
    organisation_id: Identifier
    previous_name: ShortText
    new_name: ShortText
    reason: Text | None = None


class OrganisationMerged(DomainEvent):
    """The body became part of another, possibly keeping its own identity inside it."""

    type: Literal["OrganisationMerged"] = "OrganisationMerged"
    schema_version: Literal[1] = 1
    organisation_id: Identifier
    parent_id: Identifier
    keeps_identity: bool
    reason: Text | None = None
    recommendation_id: Identifier | None = None


class OrganisationDissolved(DomainEvent):
    """The body ceased to operate; ``successor_ids`` may be empty, ``disposition`` says how."""

    type: Literal["OrganisationDissolved"] = "OrganisationDissolved"
    schema_version: Literal[1] = 1
    organisation_id: Identifier
    successor_ids: tuple[Identifier, ...] = ()
    disposition: Text | None = Field(
        default=None, description="What happens to its resources and functions."
    )
    recommendation_id: Identifier | None = None


class AccountabilityAssigned(DomainEvent):
    """The body is now accountable to another."""

    type: Literal["AccountabilityAssigned"] = "AccountabilityAssigned"
    schema_version: Literal[1] = 1
    organisation_id: Identifier
    accountable_to_id: Identifier
    previous_accountable_to_id: Identifier | None = None
    reason: Text | None = None
    recommendation_id: Identifier | None = None
