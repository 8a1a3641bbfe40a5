"""Events of an organisation's stream (``organisation-<id>``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.changes import JustifiedChange, StagedChange
from schemas.envelope import Identifier, OrganisationKind, ShortText, Text

Scope = Annotated[
    Text | None,
    Field(
        description="The capacity in which it ceases, as the source qualifies it "
        "(e.g. 'as a national organisation'); None: it ceases altogether."
    ),
]
Disposition = Annotated[
    Text | None, Field(description="What happens to its resources and functions.")
]
"""Field types a body's dissolution shares with the registry's command."""


class OrganisationRegistered(StagedChange):
    """A body Remit tracks came into view: a national organisation, board, network or team
    (or a group of bodies, maybe with unknown members). ``announced``: the body is to be
    established."""

    type: Literal["OrganisationRegistered"] = "OrganisationRegistered"
    schema_version: Literal[3] = 3
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


class OrganisationRenamed(JustifiedChange):
    """The body took a new name (or is to); the old one stays in its history."""

    type: Literal["OrganisationRenamed"] = "OrganisationRenamed"
    schema_version: Literal[2] = 2
    organisation_id: Identifier
    previous_name: ShortText
    new_name: ShortText


class OrganisationMerged(JustifiedChange):
    """The body became (or is to become) part of another, keeping its own identity inside it
    or not."""

    type: Literal["OrganisationMerged"] = "OrganisationMerged"
    schema_version: Literal[2] = 2
    organisation_id: Identifier
    parent_id: Identifier
    keeps_identity: bool


class OrganisationDissolved(JustifiedChange):
    """The body ceased (or is to cease) to operate, wholly or in the capacity ``scope`` says;
    ``successor_ids`` may be empty, ``disposition`` says what happens to its resources."""

    type: Literal["OrganisationDissolved"] = "OrganisationDissolved"
    schema_version: Literal[2] = 2
    organisation_id: Identifier
    scope: Scope = None
    successor_ids: tuple[Identifier, ...] = ()
    disposition: Disposition = None


class AccountabilityAssigned(JustifiedChange):
    """The body is (or is to be) accountable to another."""

    type: Literal["AccountabilityAssigned"] = "AccountabilityAssigned"
    schema_version: Literal[2] = 2
    organisation_id: Identifier
    accountable_to_id: Identifier
    previous_accountable_to_id: Identifier | None = None
