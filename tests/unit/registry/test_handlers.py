"""The registry's rules, driven through the handlers against fakes (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from services.registry.domain import commands as c
from services.registry.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainRuleViolated,
    IdempotencyKeyReused,
    PreconditionFailed,
    UnknownEntity,
)
from services.registry.service_layer.command_runner import SubmitOptions
from services.registry.service_layer.ports import ScopedKey, StoredResponse, caller_scope
from tests.unit.registry.conftest import SOURCE, Bus

TESTER_K1 = ScopedKey(caller_scope("tester"), "k1")
TESTER_K = ScopedKey(caller_scope("tester"), "k")


def cmd(cls: type[Any], **fields: Any) -> Any:
    return cls.model_validate({"source": SOURCE, **fields})


async def register(bus: Bus, *ids: str) -> None:
    for i in ids:
        await bus.run(cmd(c.RegisterOrganisation, organisation_id=i, name=i.upper(), kind="other"))


async def review_with(bus: Bus, *numbers: str) -> None:
    await bus.run(cmd(c.PublishReview, review_id="rv", title="Review", recommendation_count=16))
    for n in numbers:
        await recommend(bus, n)


async def recommend(bus: Bus, point: str, /, **fields: Any) -> Any:
    """Record recommendation ``rv:<point>`` of review ``rv``, its number and text ``point``
    unless ``fields`` say otherwise."""
    defaults = {"recommendation_id": f"rv:{point}", "review_id": "rv", "number": point}
    return await bus.run(cmd(c.RecordRecommendation, **{**defaults, "text": point, **fields}))


async def respond(bus: Bus, point: str, response: str, /, **fields: Any) -> Any:
    """Record the government's ``response`` to ``rv:<point>`` (``response_text`` "t" unless
    ``fields`` say otherwise)."""
    answer = {"recommendation_id": f"rv:{point}", "response": response, "response_text": "t"}
    return await bus.run(cmd(c.RecordGovernmentResponse, **{**answer, **fields}))


async def assign(
    bus: Bus, responsibility_id: str, holder_id: str, description: str, **fields: Any
) -> Any:
    """Assign responsibility ``responsibility_id`` to ``holder_id``."""
    duty = {"responsibility_id": responsibility_id, "description": description}
    return await bus.run(cmd(c.AssignResponsibility, **duty, holder_id=holder_id, **fields))


async def test_register_returns_events_with_versions_and_positions(bus: Bus) -> None:
    result = await bus.run(
        cmd(c.RegisterOrganisation, organisation_id="nhsi", name="NHSI", kind="other")
    )
    [appended] = result.events
    assert (appended.event_type, appended.stream_id, appended.stream_version) == (
        "OrganisationRegistered",
        "organisation-nhsi",
        1,
    )
    assert appended.position == 1


async def test_registering_twice_is_refused(bus: Bus) -> None:
    await register(bus, "nhsi")
    with pytest.raises(AlreadyExists):
        await register(bus, "nhsi")


async def test_rename_keeps_name_history(bus: Bus) -> None:
    await register(bus, "scn")
    await bus.run(cmd(c.RenameOrganisation, organisation_id="scn", new_name="Clinical networks"))
    [_, renamed] = bus.events("organisation-scn")
    assert (renamed.previous_name, renamed.new_name) == ("SCN", "Clinical networks")


async def test_transfer_only_from_the_holder(bus: Bus) -> None:
    await register(bus, "academy", "nhsi", "hee")
    await assign(bus, "talent", "academy", "Talent")
    with pytest.raises(DomainRuleViolated, match="held by 'academy', not 'hee'"):
        await bus.run(
            cmd(c.TransferResponsibility, responsibility_id="talent", from_id="hee", to_id="nhsi")
        )
    with pytest.raises(DomainRuleViolated, match="not unknown"):
        await bus.run(cmd(c.TransferResponsibility, responsibility_id="talent", to_id="nhsi"))
    await bus.run(
        cmd(c.TransferResponsibility, responsibility_id="talent", from_id="academy", to_id="nhsi")
    )
    assert bus.events("responsibility-talent")[-1].to_id == "nhsi"


async def test_transfer_from_unknown_instead_of_proposed_body(bus: Bus) -> None:
    await register(bus, "academy", "nhsi")
    await bus.run(
        cmd(
            c.TransferResponsibility,
            responsibility_id="capability",
            description="Commissioning",
            to_id="nhsi",
            instead_of_id="academy",
        )
    )
    [event] = bus.events("responsibility-capability")
    assert (event.from_id, event.to_id, event.instead_of_id) == (None, "nhsi", "academy")


async def test_new_responsibility_needs_a_description(bus: Bus) -> None:
    await register(bus, "nhsi")
    with pytest.raises(DomainRuleViolated, match="description"):
        await bus.run(cmd(c.TransferResponsibility, responsibility_id="x", to_id="nhsi"))


async def test_dissolved_body_receives_nothing(bus: Bus) -> None:
    await register(bus, "nhsiq", "nhsi")
    await bus.run(cmd(c.DissolveOrganisation, organisation_id="nhsiq"))
    with pytest.raises(DomainRuleViolated, match="dissolved"):
        await assign(bus, "r", "nhsiq", "R")
    with pytest.raises(DomainRuleViolated, match="already dissolved"):
        await bus.run(cmd(c.DissolveOrganisation, organisation_id="nhsiq"))


async def test_merged_body_keeping_identity_can_still_hold(bus: Bus) -> None:
    await register(bus, "academy", "hee")
    await bus.run(
        cmd(c.MergeOrganisation, organisation_id="academy", parent_id="hee", keeps_identity=True)
    )
    await assign(bus, "r", "academy", "R")
    await register(bus, "absorbed")
    await bus.run(
        cmd(c.MergeOrganisation, organisation_id="absorbed", parent_id="hee", keeps_identity=False)
    )
    with pytest.raises(DomainRuleViolated):
        await assign(bus, "s", "absorbed", "S")


async def test_unknown_body_is_named_in_the_error(bus: Bus) -> None:
    with pytest.raises(UnknownEntity, match="'ghost'"):
        await assign(bus, "r", "ghost", "R")


async def test_sub_points_belong_to_a_parent_of_the_same_review(bus: Bus) -> None:
    await review_with(bus, "11")
    await recommend(bus, "11a", text="a", parent_id="rv:11")
    with pytest.raises(DomainRuleViolated, match="sub-points"):
        await recommend(bus, "11a1", number="x", text="x", parent_id="rv:11a")
    with pytest.raises(UnknownEntity):
        await recommend(bus, "12a", number="x", text="x", parent_id="rv:12")


async def test_cross_references_must_be_real(bus: Bus) -> None:
    await review_with(bus, "3")
    with pytest.raises(UnknownEntity, match="rv:99"):
        await recommend(bus, "14", text="t", cross_references=["rv:99"])
    await recommend(bus, "14", text="t", cross_references=["rv:3"])


async def test_one_response_then_only_explicit_re_decisions(bus: Bus) -> None:
    await register(bus, "nhse")
    await review_with(bus, "8")
    await respond(bus, "8", "future_discussion", response_text="later", lead_ids=["nhse"])
    with pytest.raises(DomainRuleViolated, match="re-decision"):
        await respond(bus, "8", "implement_in_full", response_text="now")
    await respond(bus, "8", "implement_in_full", response_text="now", revision_reason="decided")
    first, second = bus.events("recommendation-rv:8")[1:]
    assert (first.type, second.type) == ("RecommendationDeferred", "RecommendationAccepted")
    assert second.supersedes_event_id == str(first.event_id)


async def test_partial_implementation_says_what_changed(bus: Bus) -> None:
    await review_with(bus, "9")
    with pytest.raises(DomainRuleViolated, match="changes"):
        await respond(bus, "9", "partially_implement")


async def test_progress_needs_a_response_and_a_reason_for_moving_dates(bus: Bus) -> None:
    await register(bus, "nhsi", "dh")
    await review_with(bus, "1")
    progress = {
        "recommendation_id": "rv:1",
        "status": "in_progress",
        "claim": {"claimed_by": "nhsi"},
    }
    with pytest.raises(DomainRuleViolated, match="response"):
        await bus.run(cmd(c.RecordImplementationProgress, **progress))
    await respond(bus, "1", "implement_in_full")
    await bus.run(cmd(c.RecordImplementationProgress, **progress, target_date="2026-06-01"))
    with pytest.raises(DomainRuleViolated, match="give a reason"):
        await bus.run(cmd(c.RecordImplementationProgress, **progress, target_date="2026-09-01"))
    await bus.run(
        cmd(
            c.RecordImplementationProgress,
            **progress,
            target_date="2026-09-01",
            target_date_change_reason="slipped",
        )
    )
    with pytest.raises(DomainRuleViolated, match="verified"):
        await bus.run(
            cmd(
                c.RecordImplementationProgress,
                **{**progress, "claim": {"claimed_by": "nhsi", "verified_by": "nhsi"}},
                target_date="2026-09-01",
            )
        )
    assert bus.events("recommendation-rv:1")[-1].previous_target_date.isoformat() == "2026-06-01"


async def test_cited_recommendation_must_exist(bus: Bus) -> None:
    await register(bus, "nhsi")
    with pytest.raises(UnknownEntity, match="rv:404"):
        await assign(bus, "r", "nhsi", "R", recommendation_id="rv:404")


async def test_idempotent_retry_appends_nothing(bus: Bus) -> None:
    first = await bus.run(
        cmd(c.RegisterOrganisation, organisation_id="a", name="A", kind="other"),
        SubmitOptions(idempotency_key=TESTER_K1),
    )
    again = await bus.run(
        cmd(c.RegisterOrganisation, organisation_id="a", name="A", kind="other"),
        SubmitOptions(idempotency_key=TESTER_K1),
    )
    assert again.replayed and again.events == first.events
    assert len(bus.events()) == 1
    with pytest.raises(IdempotencyKeyReused):
        await bus.run(
            cmd(c.RegisterOrganisation, organisation_id="b", name="B", kind="other"),
            SubmitOptions(idempotency_key=TESTER_K1),
        )


async def test_the_same_key_from_another_caller_is_another_request(bus: Bus) -> None:
    body = cmd(c.RegisterOrganisation, organisation_id="a", name="A", kind="other")
    await bus.run(body, SubmitOptions(idempotency_key=ScopedKey(caller_scope("alice"), "shared")))
    for other in (caller_scope("bob"), caller_scope("alice", "org-a")):
        with pytest.raises(AlreadyExists):  # decided afresh: never alice's stored answer
            await bus.run(body, SubmitOptions(idempotency_key=ScopedKey(other, "shared")))
    assert len(bus.events()) == 1


def test_caller_scopes_never_collide() -> None:
    scopes = [
        caller_scope("alice"),
        caller_scope("alice", "acme"),
        caller_scope('alice", "acme'),
        caller_scope("acme", "alice"),
        caller_scope('["alice", "acme"]'),
    ]
    assert len(set(scopes)) == len(scopes)
    assert scopes[:2] == ['["alice"]', '["alice", "acme"]']


async def test_expected_version_mismatch_is_a_failed_precondition(bus: Bus) -> None:
    await register(bus, "a")
    with pytest.raises(PreconditionFailed, match="version 1, not 3"):
        await bus.run(
            cmd(c.RenameOrganisation, organisation_id="a", new_name="B"),
            SubmitOptions(expected_version=3),
        )
    await bus.run(
        cmd(c.RenameOrganisation, organisation_id="a", new_name="B"),
        SubmitOptions(expected_version=1),
    )


async def test_rule_violation_stores_nothing(bus: Bus) -> None:
    await register(bus, "a")
    before = len(bus.events())
    with pytest.raises(DomainRuleViolated):
        await bus.run(cmd(c.AssignAccountability, organisation_id="a", accountable_to_id="a"))
    assert len(bus.events()) == before and bus.uow.events.staged == []


async def test_concurrent_append_to_the_same_version_conflicts(bus: Bus) -> None:
    await register(bus, "a")
    [event] = bus.events()
    with pytest.raises(ConcurrencyConflict):
        await bus.uow.events.append([event])


async def test_retry_that_loses_the_race_after_the_first_commit_replays(bus: Bus) -> None:
    """The first attempt commits after the retry looked its key up: the retry's decision then
    breaks a rule ('already registered'), and the stored answer must be returned instead."""
    body = cmd(c.RegisterOrganisation, organisation_id="a", name="A", kind="other")
    first = await bus.run(body, SubmitOptions(idempotency_key=TESTER_K))
    stored = bus.uow.idempotency.committed.pop(TESTER_K)
    original_get = bus.uow.idempotency.get
    calls = 0

    async def get_missing_once(key: ScopedKey) -> StoredResponse | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            bus.uow.idempotency.committed[TESTER_K] = stored  # lands just after our look-up
            return None
        return await original_get(key)

    bus.uow.idempotency.get = get_missing_once  # type: ignore[method-assign]
    again = await bus.run(body, SubmitOptions(idempotency_key=TESTER_K))
    assert again.replayed and again.events == first.events


async def test_merging_into_ones_own_part_is_a_cycle(bus: Bus) -> None:
    await register(bus, "a", "b", "c")
    await bus.run(cmd(c.MergeOrganisation, organisation_id="b", parent_id="a", keeps_identity=True))
    await bus.run(cmd(c.MergeOrganisation, organisation_id="c", parent_id="b", keeps_identity=True))
    await register(bus, "d")
    with pytest.raises(DomainRuleViolated, match="cycle"):
        await bus.run(
            cmd(c.MergeOrganisation, organisation_id="a", parent_id="c", keeps_identity=True)
        )


async def test_a_body_that_holds_something_cannot_be_dissolved_or_absorbed(bus: Bus) -> None:
    await register(bus, "x", "y")
    await assign(bus, "r", "x", "R")
    with pytest.raises(DomainRuleViolated, match="'x' still holds r"):
        await bus.run(cmd(c.DissolveOrganisation, organisation_id="x"))
    with pytest.raises(DomainRuleViolated, match="still holds"):
        await bus.run(
            cmd(c.MergeOrganisation, organisation_id="x", parent_id="y", keeps_identity=False)
        )
    await bus.run(cmd(c.TransferResponsibility, responsibility_id="r", from_id="x", to_id="y"))
    await bus.run(cmd(c.DissolveOrganisation, organisation_id="x", successor_ids=["y"]))
    assert "organisation-x" in bus.uow.events.exclusive_locks
    assert "organisation-y" in bus.uow.events.shared_locks
