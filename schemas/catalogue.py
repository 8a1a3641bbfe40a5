"""The event catalogue: every current event class, by type name."""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field, TypeAdapter

from schemas.corrections import Correctable, RecordsCorrected
from schemas.envelope import DomainEvent

EVENT_CLASSES: tuple[type[DomainEvent], ...] = (*get_args(Correctable), RecordsCorrected)
"""Every current event class: those a correction can touch (in :data:`Correctable`'s order),
and corrections."""

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.model_fields["type"].default: cls for cls in EVENT_CLASSES
}

CURRENT_VERSIONS: dict[str, int] = {
    name: int(cls.model_fields["schema_version"].default) for name, cls in EVENT_TYPES.items()
}

AnyEvent = Annotated[Correctable | RecordsCorrected, Field(discriminator="type")]

any_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


ORGANISATION_FIELDS: tuple[str, ...] = (  # parent_id: of OrganisationMerged only
    "organisation_id",
    "parent_id",
    "accountable_to_id",
    "previous_accountable_to_id",
    "holder_id",
    "from_id",
    "to_id",
    "instead_of_id",
    "owner_id",
)
"""Event fields that name one organisation: how a consumer finds the bodies an event concerns."""

ORGANISATION_LIST_FIELDS: tuple[str, ...] = ("successor_ids",)
"""Event fields that name several organisations (``roles`` name them too: see :func:`named_ids`)."""


def named_ids(event: DomainEvent) -> set[str]:
    """Every organisation ``event`` names: in its fields, its roles, and (for a correction) in
    the events it retracts or replaces."""
    values = event.__dict__
    ids = {
        v
        for name in ORGANISATION_FIELDS
        if isinstance(v := values.get(name), str)
        and (name != "parent_id" or event.type == "OrganisationMerged")
    }
    for name in ORGANISATION_LIST_FIELDS:
        ids.update(values.get(name) or ())
    for role in values.get("roles") or ():
        ids.add(role.organisation_id)
        if role.related_id is not None:
            ids.add(role.related_id)
    claim = values.get("claim")
    if claim is not None:
        ids.update(i for i in (claim.claimed_by, claim.verified_by) if i)
    if isinstance(event, RecordsCorrected):
        for nested in corrected_events(event):
            ids |= named_ids(nested)
    return ids


def corrected_events(event: RecordsCorrected) -> list[DomainEvent]:
    """The events a correction retracts or replaces, and their replacements."""
    found: list[DomainEvent] = [r.event for r in event.retracted]
    for r in event.replaced:
        found += [r.event, r.replacement]
    return found
