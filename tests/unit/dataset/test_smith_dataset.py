"""The Smith review dataset: structure, faithfulness to the source text, and referential order."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TypeVar

import pytest

from services.registry.dataset import Dataset, load_dataset
from services.registry.domain.commands import (
    AssignAccountability,
    AssignResponsibility,
    Command,
    CommitAction,
    CorrectRecords,
    DissolveOrganisation,
    MergeOrganisation,
    PublishReview,
    RecordGovernmentResponse,
    RecordImplementationProgress,
    RecordRecommendation,
    RegisterOrganisation,
    RenameOrganisation,
    TransferResponsibility,
)

ROOT = Path(__file__).resolve().parents[3]
DATASET = ROOT / "data" / "smith-review.yaml"
SOURCE = ROOT / "data" / "smith-review-response.txt"
TITLE = "Government response to Ed Smith's review of NHS leadership development and improvement"

HEADINGS = {
    "Recommendations to be implemented in full": "implement_in_full",
    "Recommendations to be partially implemented": "partially_implement",
    "Recommendations for future discussion": "future_discussion",
    "Recommendations not to be implemented": "not_implement",
}

C = TypeVar("C", bound=Command)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(DATASET)


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCE.read_text(encoding="utf-8")


def of_type(dataset: Dataset, kind: type[C]) -> list[C]:
    return [command for _, command in dataset.commands if isinstance(command, kind)]


def rec(n: str) -> str:
    return f"smith-review:rec-{n}"


def responses(dataset: Dataset) -> dict[str, RecordGovernmentResponse]:
    found = of_type(dataset, RecordGovernmentResponse)
    by_rec = {r.recommendation_id: r for r in found}
    assert len(by_rec) == len(found), "one response per recommendation"
    return by_rec


# --------------------------------------------------------------------------------------------
# Header and keys
# --------------------------------------------------------------------------------------------


def test_header(dataset: Dataset) -> None:
    assert dataset.dataset == "smith-review"
    assert dataset.document.title == TITLE
    assert dataset.document.file == "data/smith-review-response.txt"
    assert (ROOT / dataset.document.file).is_file()


def test_keys_are_unique(dataset: Dataset) -> None:
    keys = [key for key, _ in dataset.commands]
    assert len(keys) == len(set(keys))


def test_every_command_cites_the_document_and_gives_no_date(dataset: Dataset) -> None:
    for key, command in dataset.commands:
        assert command.source.document == TITLE, key
        assert command.source.locator, key
        assert command.occurred_at is None, key


def test_no_delivery_progress_is_recorded(dataset: Dataset) -> None:
    """The response says what will happen, never how far it has got."""
    assert of_type(dataset, RecordImplementationProgress) == []


# --------------------------------------------------------------------------------------------
# Review and recommendations
# --------------------------------------------------------------------------------------------


def test_review(dataset: Dataset) -> None:
    (review,) = of_type(dataset, PublishReview)
    assert review.review_id == "smith-review"
    assert review.author == "Ed Smith"
    assert review.published_on is None
    assert review.recommendation_count == 16
    assert review.summary is not None and "scrapped or adapted" in review.summary


def test_sixteen_recommendations_and_four_sub_points(dataset: Dataset) -> None:
    recs = of_type(dataset, RecordRecommendation)
    top = [r for r in recs if r.parent_id is None]
    subs = [r for r in recs if r.parent_id is not None]
    assert sorted(int(r.number) for r in top) == list(range(1, 17))
    assert {r.number: r.parent_id for r in subs} == {
        "11a": rec("11"),
        "11b": rec("11"),
        "11c": rec("11"),
        "11d": rec("11"),
    }
    for r in recs:
        assert r.recommendation_id == rec(r.number)
        assert r.review_id == "smith-review"
        assert r.source.passage == r.text, "a recommendation quotes itself"
        assert not re.match(r"^\d+\)", r.text), "text is printed without its number"


def test_recommendation_14_refers_to_3(dataset: Dataset) -> None:
    by_id = {r.recommendation_id: r for r in of_type(dataset, RecordRecommendation)}
    assert by_id[rec("14")].cross_references == (rec("3"),)
    others = [r for r in by_id.values() if r.cross_references and r.number != "14"]
    assert others == []


# --------------------------------------------------------------------------------------------
# Government responses
# --------------------------------------------------------------------------------------------


def test_responses_by_group(dataset: Dataset) -> None:
    by_rec = responses(dataset)
    groups: dict[str, set[int]] = {}
    for rec_id, response in by_rec.items():
        groups.setdefault(response.response.value, set()).add(int(rec_id.rsplit("-", 1)[1]))
    assert groups == {
        "implement_in_full": {1, 2, 3, 4, 5, 10, 11, 14},
        "partially_implement": {6, 9, 12, 13},
        "future_discussion": {8, 15, 16},
        "not_implement": {7},
    }
    assert all("a" not in r.split("rec-")[1] for r in by_rec), "no response to a sub-point"


def test_response_specific_fields(dataset: Dataset) -> None:
    for response in responses(dataset).values():
        kind = response.response.value
        assert bool(response.changes) == (kind == "partially_implement")
        assert (response.alternative is not None) == (kind == "not_implement")
    rejected = responses(dataset)[rec("7")]
    assert rejected.alternative is not None
    assert "increasingly important role in improvement" in rejected.alternative


def test_headings_are_quoted_by_the_responses_filed_under_them(dataset: Dataset) -> None:
    """The four group headings are represented by the response kind; each response also names
    its heading in ``response_text`` or quotes it in its passage."""
    for response in responses(dataset).values():
        (heading,) = [h for h, kind in HEADINGS.items() if kind == response.response.value]
        assert heading in response.response_text or heading in response.source.passage
    for heading in HEADINGS:
        assert any(heading in r.source.passage for r in responses(dataset).values()), (
            f"heading {heading!r} is quoted verbatim by some response"
        )


def test_leads_and_supporting_bodies(dataset: Dataset) -> None:
    named = {
        rec_id: (set(r.lead_ids), set(r.supporting_ids))
        for rec_id, r in responses(dataset).items()
        if r.lead_ids or r.supporting_ids
    }
    assert named == {
        rec("2"): ({"nhs-organisations"}, set()),
        rec("3"): (
            {"national-governing-boards"},
            {"six-national-organisations", "department-of-health"},
        ),
        rec("4"): (set(), {"intensive-support-teams", "nhs-interim-management-and-support"}),
        rec("7"): (
            {"academic-health-science-networks"},
            {"strategic-clinical-networks", "clinical-senates"},
        ),
        rec("8"): ({"nhs-england"}, {"nhs-improvement"}),
        rec("9"): ({"nhs-improvement"}, set()),
        rec("10"): ({"nhs-england"}, set()),
        rec("11"): (
            {"clinical-senates", "strategic-clinical-networks", "academic-health-science-networks"},
            set(),
        ),
        rec("12"): ({"health-education-england", "nhs-leadership-academy"}, set()),
        rec("13"): ({"nhs-leadership-academy"}, {"nhs-improvement"}),
        rec("14"): ({"nhs-leadership-academy"}, {"national-governing-boards"}),
        rec("16"): ({"health-education-england"}, set()),
    }
    no_lead = {rec_id for rec_id, r in responses(dataset).items() if not r.lead_ids}
    assert no_lead == {rec("1"), rec("4"), rec("5"), rec("6"), rec("15")}


# --------------------------------------------------------------------------------------------
# Organisations and what happens to them
# --------------------------------------------------------------------------------------------


def test_organisations(dataset: Dataset) -> None:
    orgs = {o.organisation_id: o for o in of_type(dataset, RegisterOrganisation)}
    assert {k: o.kind.value for k, o in orgs.items()} == {
        "department-of-health": "government_department",
        "nhs-england": "arms_length_body",
        "nhs-improvement": "arms_length_body",
        "health-education-england": "arms_length_body",
        "nhs-leadership-academy": "arms_length_body",
        "nhs-improving-quality": "arms_length_body",
        "clinical-senates": "network",
        "strategic-clinical-networks": "network",
        "academic-health-science-networks": "network",
        "intensive-support-teams": "team",
        "nhs-interim-management-and-support": "team",
        "six-national-organisations": "group_of_bodies",
        "national-governing-boards": "governing_board",
        "nhs-organisations": "group_of_bodies",
    }
    assert orgs["health-education-england"].abbreviation == "HEE"
    assert orgs["academic-health-science-networks"].abbreviation == "AHSNs"
    counts = {k: (o.member_count, o.members_known) for k, o in orgs.items() if o.member_count}
    assert counts == {
        "academic-health-science-networks": (15, False),
        "six-national-organisations": (6, False),
        "national-governing-boards": (2, False),
    }
    assert orgs["nhs-organisations"].member_count is None
    assert orgs["nhs-organisations"].members_known is False
    boards = orgs["national-governing-boards"].description or ""
    assert "names neither" in boards and "which of the two" in boards


def test_transfer_of_improvement_capability_commissioning(dataset: Dataset) -> None:
    (transfer,) = [
        t
        for t in of_type(dataset, TransferResponsibility)
        if t.responsibility_id == "improvement-capability-commissioning"
    ]
    assert transfer.from_id is None, "the document does not say who held it"
    assert transfer.to_id == "nhs-improvement"
    assert transfer.instead_of_id == "nhs-leadership-academy"
    assert transfer.recommendation_id == rec("9")
    assert transfer.description
    assert "rather than to NHS Leadership Academy as originally proposed" in (transfer.reason or "")


def test_talent_management_proposed_for_the_academy_goes_to_nhs_improvement(
    dataset: Dataset,
) -> None:
    (assigned,) = of_type(dataset, AssignResponsibility)
    assert assigned.responsibility_id == "talent-management"
    assert assigned.holder_id == "nhs-leadership-academy"
    assert assigned.recommendation_id == rec("13")
    (transfer,) = [
        t
        for t in of_type(dataset, TransferResponsibility)
        if t.responsibility_id == "talent-management"
    ]
    assert (transfer.from_id, transfer.to_id) == ("nhs-leadership-academy", "nhs-improvement")
    assert transfer.recommendation_id == rec("13")
    assert "responsibility for talent management will go to NHS Improvement" in (
        transfer.reason or ""
    )
    keys = [key for key, _ in dataset.commands]
    assert keys.index("responsibility/13") < keys.index("transfer/13")


def test_merge_dissolution_rename_accountability(dataset: Dataset) -> None:
    (merge,) = of_type(dataset, MergeOrganisation)
    assert (merge.organisation_id, merge.parent_id) == (
        "nhs-leadership-academy",
        "health-education-england",
    )
    assert merge.keeps_identity is True
    assert merge.recommendation_id == rec("12")
    assert "the academy will become part of HEE" in merge.source.passage

    (dissolve,) = of_type(dataset, DissolveOrganisation)
    assert dissolve.organisation_id == "nhs-improving-quality"
    assert dissolve.successor_ids == ()
    assert dissolve.recommendation_id == rec("6")
    assert "national level, but not locally" in (dissolve.disposition or "")

    (rename,) = of_type(dataset, RenameOrganisation)
    assert rename.organisation_id == "strategic-clinical-networks"
    assert rename.new_name == "Clinical networks"
    assert "Recommendation 11" in (rename.reason or "")

    (accountability,) = of_type(dataset, AssignAccountability)
    assert accountability.organisation_id == "nhs-leadership-academy"
    assert accountability.accountable_to_id == "national-governing-boards"
    assert accountability.recommendation_id == rec("14")


def test_succession_plan_action(dataset: Dataset) -> None:
    (action,) = of_type(dataset, CommitAction)
    assert action.action_id == "smith-review:succession-plan-top-200"
    assert action.owner_id == "nhs-improvement"
    assert action.review_id == "smith-review"
    assert action.recommendation_id is None
    last = [key for key, c in dataset.commands if not isinstance(c, CorrectRecords)][-1]
    assert last == "action/succession-plan-top-200"


# --------------------------------------------------------------------------------------------
# Faithfulness to the source text
# --------------------------------------------------------------------------------------------


def every_command(dataset: Dataset) -> list[tuple[str, Command]]:
    """The dataset's commands and, for corrections, the commands they decide in place."""
    found: list[tuple[str, Command]] = []
    for key, command in dataset.commands:
        found.append((key, command))
        if isinstance(command, CorrectRecords):
            found += [(f"{key} > {r.event.stream_id}", r.with_command) for r in command.replace]
    return found


def test_every_passage_and_quote_is_verbatim(dataset: Dataset, text: str) -> None:
    for key, command in every_command(dataset):
        assert command.source.passage in text, key
        for named in getattr(command, "roles", ()):
            assert named.quote and named.quote in text, (key, named)


def source_sentences(text: str) -> list[str]:
    """The units the source says something in: one per sentence, after dropping the four group
    headings, each item's "N) " number and each bullet's "•" marker. A line without a final full
    stop (the closing line) is one unit."""
    units: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in HEADINGS:
            continue
        line = re.sub(r"^(\d+\)|•)\s*", "", line)
        units.extend(s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z“])", line) if s)
    return units


def is_covered(sentence: str, passages: list[str]) -> bool:
    """A sentence is covered when some passage contains it whole, or when the passages that are
    parts of it together quote every letter and digit of it.

    Quoting a fragment is not enough: every word of the sentence must be inside some verbatim
    quote, so nothing the source says can be left out while a neighbouring clause is quoted.
    """
    if any(sentence in p for p in passages):
        return True
    quoted = [False] * len(sentence)
    for passage in passages:
        start = sentence.find(passage)
        while start != -1:
            quoted[start : start + len(passage)] = [True] * len(passage)
            start = sentence.find(passage, start + 1)
    return all(q or not ch.isalnum() for ch, q in zip(sentence, quoted, strict=True))


def test_sentence_splitting_sees_the_whole_text(text: str) -> None:
    sentences = source_sentences(text)
    assert len(sentences) == 25
    assert sentences[0].startswith("Ed Smith’s review")
    assert sentences[-1] == "NHS Improvement to establish succession plan for top 200 leaders"
    assert "Strategic clinical networks should be renamed “clinical networks”." in sentences


def test_every_sentence_of_the_source_is_represented(dataset: Dataset, text: str) -> None:
    passages = [command.source.passage for _, command in dataset.commands]
    missing = [s for s in source_sentences(text) if not is_covered(s, passages)]
    assert missing == []


def test_coverage_check_rejects_a_partial_quote() -> None:
    sentence = "NHS England leading this, working with NHS Improvement."
    assert not is_covered(sentence, ["NHS England leading this"])
    assert is_covered(sentence, ["NHS England leading this", "working with NHS Improvement"])
    assert is_covered(sentence, ["8) A one stop shop – " + sentence])


# --------------------------------------------------------------------------------------------
# Referential order: the importer posts commands in file order
# --------------------------------------------------------------------------------------------


def test_everything_referred_to_was_registered_earlier(dataset: Dataset) -> None:
    orgs: set[str] = set()
    reviews: set[str] = set()
    recs: set[str] = set()
    duties: set[str] = set()

    for key, cmd in dataset.commands:

        def known(ids: set[str], *refs: str | None, at: str = key) -> None:
            for ref in refs:
                if ref is not None:
                    assert ref in ids, f"{at}: {ref!r} is not registered earlier"

        if isinstance(cmd, RegisterOrganisation):
            assert cmd.organisation_id not in orgs
            orgs.add(cmd.organisation_id)
        elif isinstance(cmd, PublishReview):
            reviews.add(cmd.review_id)
        elif isinstance(cmd, RecordRecommendation):
            known(reviews, cmd.review_id)
            known(recs, cmd.parent_id, *cmd.cross_references)
            assert cmd.recommendation_id not in recs
            recs.add(cmd.recommendation_id)
        elif isinstance(cmd, RecordGovernmentResponse):
            known(recs, cmd.recommendation_id)
            known(orgs, *cmd.lead_ids, *cmd.supporting_ids)
        elif isinstance(cmd, RenameOrganisation):
            known(orgs, cmd.organisation_id)
        elif isinstance(cmd, MergeOrganisation):
            known(orgs, cmd.organisation_id, cmd.parent_id)
            known(recs, cmd.recommendation_id)
        elif isinstance(cmd, DissolveOrganisation):
            known(orgs, cmd.organisation_id, *cmd.successor_ids)
            known(recs, cmd.recommendation_id)
        elif isinstance(cmd, AssignAccountability):
            known(orgs, cmd.organisation_id, cmd.accountable_to_id)
            known(recs, cmd.recommendation_id)
        elif isinstance(cmd, AssignResponsibility):
            known(orgs, cmd.holder_id)
            known(recs, cmd.recommendation_id)
            duties.add(cmd.responsibility_id)
        elif isinstance(cmd, TransferResponsibility):
            known(orgs, cmd.from_id, cmd.to_id, cmd.instead_of_id)
            known(recs, cmd.recommendation_id)
            if cmd.from_id is not None:
                known(duties, cmd.responsibility_id)
            duties.add(cmd.responsibility_id)
        elif isinstance(cmd, CommitAction):
            known(orgs, cmd.owner_id)
            known(reviews, cmd.review_id)
            known(recs, cmd.recommendation_id)
        elif isinstance(cmd, CorrectRecords):
            for replaced in cmd.replace:
                named = list(getattr(replaced.with_command, "roles", ()))
                known(orgs, *(i for r in named for i in (r.organisation_id, r.related_id)))
        else:  # pragma: no cover - a new command type needs a rule here
            pytest.fail(f"{key}: no referential rule for {type(cmd).__name__}")


def test_command_order_follows_the_importer_convention(dataset: Dataset) -> None:
    """Organisations, the review, recommendations, responses, then changes, then the action."""
    phase = {
        "RegisterOrganisation": 0,
        "PublishReview": 1,
        "RecordRecommendation": 2,
        "RecordGovernmentResponse": 3,
        "TransferResponsibility": 4,
        "AssignResponsibility": 4,
        "DissolveOrganisation": 4,
        "MergeOrganisation": 4,
        "AssignAccountability": 4,
        "RenameOrganisation": 4,
        "CommitAction": 5,
        "CorrectRecords": 6,
    }
    phases = [phase[command.command] for _, command in dataset.commands]
    assert phases == sorted(phases)
    assert Counter(command.command for _, command in dataset.commands) == {
        "RegisterOrganisation": 14,
        "PublishReview": 1,
        "RecordRecommendation": 20,
        "RecordGovernmentResponse": 16,
        "TransferResponsibility": 2,
        "AssignResponsibility": 1,
        "DissolveOrganisation": 1,
        "MergeOrganisation": 1,
        "AssignAccountability": 1,
        "RenameOrganisation": 1,
        "CommitAction": 1,
        "CorrectRecords": 12,
    }
