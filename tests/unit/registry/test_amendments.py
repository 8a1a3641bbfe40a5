"""Announced changes, their settling, corrections and moves on absorption (handlers, fakes)."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.corrections import RecordsCorrected, effective
from services.registry.domain import commands as c
from services.registry.domain import organisation
from services.registry.errors import DomainRuleViolated, UnknownEntity
from services.registry.service_layer.reading import fold_for
from tests.unit.registry.conftest import Bus
from tests.unit.registry.test_handlers import (
    assign,
    cmd,
    recommend,
    register,
    respond,
    review_with,
)


def state(bus: Bus, stream_id: str) -> Any:
    found: Any = None
    for event in effective(bus.events(stream_id)):
        found = fold_for(stream_id)(found, event)
    return found


async def announce(bus: Bus, command: type[Any], **fields: Any) -> Any:
    """Run ``command`` as a change a source announces (``stage: announced``)."""
    return await bus.run(cmd(command, **fields, stage="announced"))


def at(stream_id: str, version: int) -> dict[str, Any]:
    return {"stream_id": stream_id, "stream_version": version}


async def test_an_announced_dissolution_is_pending_until_it_takes_effect(bus: Bus) -> None:
    await register(bus, "nhsiq")
    await announce(
        bus, c.DissolveOrganisation, organisation_id="nhsiq", scope="as a national organisation"
    )
    body = state(bus, "organisation-nhsiq")
    assert body.status is organisation.OrganisationStatus.ACTIVE and len(body.pending) == 1
    await bus.run(
        cmd(c.RecordChangeInEffect, announcement=at("organisation-nhsiq", 2)),
    )
    assert state(bus, "organisation-nhsiq").status is organisation.OrganisationStatus.DISSOLVED
    with pytest.raises(DomainRuleViolated, match="not a pending announcement"):
        await bus.run(cmd(c.WithdrawChange, announcement=at("organisation-nhsiq", 2), reason="x"))


async def test_a_withdrawn_announcement_never_takes_effect(bus: Bus) -> None:
    await register(bus, "scn")
    await announce(bus, c.RenameOrganisation, organisation_id="scn", new_name="CN")
    await bus.run(cmd(c.WithdrawChange, announcement=at("organisation-scn", 2), reason="dropped"))
    body = state(bus, "organisation-scn")
    assert (body.name, body.pending) == ("SCN", ())
    with pytest.raises(DomainRuleViolated, match="not a pending announcement"):
        await bus.run(cmd(c.RecordChangeInEffect, announcement=at("organisation-scn", 2)))


async def test_taking_effect_rechecks_the_world_as_it_is_then(bus: Bus) -> None:
    await register(bus, "academy", "nhsi")
    await assign(bus, "talent", "academy", "Talent")
    await announce(bus, c.DissolveOrganisation, organisation_id="academy")
    with pytest.raises(DomainRuleViolated, match="still holds talent"):
        await bus.run(cmd(c.RecordChangeInEffect, announcement=at("organisation-academy", 2)))


async def test_an_announced_transfer_holds_nothing_until_it_takes_effect(bus: Bus) -> None:
    await register(bus, "nhsi")
    await announce(
        bus,
        c.TransferResponsibility,
        responsibility_id="talent",
        description="Talent",
        to_id="nhsi",
        expected_on="2016-04-01",
    )
    assert state(bus, "responsibility-talent").holder_id is None
    [event] = bus.events("responsibility-talent")
    await bus.run(cmd(c.RecordChangeInEffect, announcement={"event_id": str(event.event_id)}))
    assert state(bus, "responsibility-talent").holder_id == "nhsi"


async def test_an_announced_body_cannot_hold_until_established(bus: Bus) -> None:
    await announce(
        bus, c.RegisterOrganisation, organisation_id="boards", name="Boards", kind="governing_board"
    )
    await register(bus, "academy")
    with pytest.raises(DomainRuleViolated, match="not_established"):
        await bus.run(
            cmd(c.AssignAccountability, organisation_id="academy", accountable_to_id="boards")
        )
    await announce(
        bus, c.AssignAccountability, organisation_id="academy", accountable_to_id="boards"
    )


async def test_a_correction_replaces_an_assignment_the_text_never_states(bus: Bus) -> None:
    await register(bus, "academy", "nhsi")
    await assign(bus, "tm", "academy", "TM")
    await bus.run(
        cmd(c.TransferResponsibility, responsibility_id="tm", from_id="academy", to_id="nhsi")
    )
    stream = "responsibility-tm"
    with pytest.raises(DomainRuleViolated, match="would not hold together"):
        await bus.run(cmd(c.CorrectRecords, reason="no assignment", retract=[at(stream, 1)]))
    await bus.run(
        cmd(
            c.CorrectRecords,
            reason="the text says only that it will go to NHS Improvement",
            retract=[at(stream, 1)],
            replace=[
                {
                    "event": at(stream, 2),
                    "with_command": {
                        "command": "TransferResponsibility",
                        "source": {"document": "d", "passage": "will go to NHS Improvement"},
                        "responsibility_id": "tm",
                        "description": "TM",
                        "to_id": "nhsi",
                        "stage": "announced",
                    },
                }
            ],
        )
    )
    *_, correction = bus.events(stream)
    assert isinstance(correction, RecordsCorrected) and correction.stream_version == 3
    [replaced] = correction.replaced
    assert replaced.replacement.stream_version == 2
    held = state(bus, stream)
    assert held.holder_id is None and [p.to_id for p in held.pending] == ["nhsi"]
    assert [e.type for e in effective(bus.events(stream))] == ["ResponsibilityTransferred"]


async def test_a_correction_cannot_leave_a_body_named_but_unregistered(bus: Bus) -> None:
    await register(bus, "a", "b")
    await assign(bus, "r", "b", "R")
    with pytest.raises(DomainRuleViolated, match="still names it"):
        await bus.run(cmd(c.CorrectRecords, reason="r", retract=[at("organisation-b", 1)]))
    await bus.run(cmd(c.CorrectRecords, reason="r", retract=[at("organisation-a", 1)]))
    assert state(bus, "organisation-a") is None


async def test_a_replacement_must_record_one_event_in_the_same_stream(bus: Bus) -> None:
    await register(bus, "a")
    with pytest.raises(DomainRuleViolated, match="must record one event in that stream"):
        await bus.run(
            cmd(
                c.CorrectRecords,
                reason="r",
                replace=[
                    {
                        "event": at("organisation-a", 1),
                        "with_command": {
                            "command": "RegisterOrganisation",
                            "source": {"document": "d", "passage": "p"},
                            "organisation_id": "z",
                            "name": "Z",
                            "kind": "other",
                        },
                    }
                ],
            )
        )
    unknown = {"event_id": "00000000-0000-4000-8000-000000000000"}
    with pytest.raises(UnknownEntity):
        await bus.run(cmd(c.CorrectRecords, reason="r", retract=[unknown]))


async def test_absorbing_a_body_can_move_its_holdings_in_the_same_command(bus: Bus) -> None:
    await register(bus, "academy", "hee")
    await assign(bus, "r", "academy", "R")
    await bus.run(cmd(c.CommitAction, action_id="act", owner_id="academy", description="A"))
    merge = {"organisation_id": "academy", "parent_id": "hee", "keeps_identity": False}
    with pytest.raises(DomainRuleViolated, match="move_holdings_to"):
        await bus.run(cmd(c.MergeOrganisation, **merge))
    result = await bus.run(cmd(c.MergeOrganisation, **merge, move_holdings_to="hee"))
    assert [e.event_type for e in result.events] == [
        "ActionTransferred",
        "ResponsibilityTransferred",
        "OrganisationMerged",
    ]
    assert state(bus, "responsibility-r").holder_id == "hee"
    assert state(bus, "action-act").owner_id == "hee"


async def test_a_sub_point_may_answer_for_itself_and_roles_name_registered_bodies(
    bus: Bus,
) -> None:
    await register(bus, "ahsns", "cn")
    await review_with(bus, "7")
    await recommend(bus, "7a", text="t", parent_id="rv:7")
    roles = [
        {"organisation_id": "ahsns", "role": "not_leading", "quote": "will not lead"},
        {"organisation_id": "cn", "role": "named", "quote": "along with"},
    ]
    await respond(bus, "7", "not_implement", roles=roles)
    await respond(bus, "7a", "implement_in_full")
    with pytest.raises(UnknownEntity, match="nobody"):
        await respond(
            bus,
            "7",
            "not_implement",
            revision_reason="r",
            roles=[{"organisation_id": "nobody", "role": "subject"}],
        )
