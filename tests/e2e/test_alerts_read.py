"""Alert e-mails as people read them, through the whole stack: bodies subscribe by e-mail, the
Smith review and then later changes are recorded (an announced move that takes effect, an
announcement withdrawn, progress, a duty given and then announced to move), and every e-mail
reads as sentences whose "See it on Remit" link opens, on the running pages, the page about
what changed."""

from __future__ import annotations

import asyncio
import re
from email.message import Message
from typing import Any

import httpx
import pytest

from services.common.auth import AuthSettings, issue_token
from tests.e2e.conftest import Stack
from tests.support.datasets import MadeUpDocument, import_smith_then
from tests.support.eventually import eventually

pytestmark = pytest.mark.e2e
SUBSCRIBERS = (
    "nhs-improvement",
    "nhs-england",
    "nhs-leadership-academy",
    "nhs-improving-quality",
)
LATER = MadeUpDocument(
    "alerts-e2e",
    "A later notice",
    "Quoted from a later notice.",
    [
        {
            "key": "took-effect",
            "command": "RecordChangeInEffect",
            "announcement": {"stream_id": "responsibility-talent-management", "stream_version": 2},
        },
        {
            "key": "withdrawn",
            "command": "WithdrawChange",
            "announcement": {
                "stream_id": "organisation-nhs-improving-quality",
                "stream_version": 2,
            },
            "reason": "The plan for NHS Improving Quality changed.",
        },
        {
            "key": "progress",
            "command": "RecordImplementationProgress",
            "recommendation_id": "smith-review:rec-8",
            "status": "in_progress",
            "claim": {"claimed_by": "nhs-england"},
        },
        {
            "key": "assign",
            "command": "AssignResponsibility",
            "responsibility_id": "leadership-data",
            "description": "Publishing leadership data",
            "holder_id": "nhs-england",
        },
        {
            "key": "announce",
            "command": "TransferResponsibility",
            "responsibility_id": "leadership-data",
            "from_id": "nhs-england",
            "to_id": "nhs-improvement",
            "stage": "announced",
        },
    ],
)

LEADERSHIP_DATA = "Leadership data"
"""The page's heading for leadership-data: the read model's lineage carries no description
until a transfer takes effect (an assignment does not set it), so the page names it by its id."""

EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    # (recipient, headline): (the page's path, its heading)
    (
        "nhs-improvement",
        "In effect: Talent management moved from NHS Leadership Academy to NHS Improvement",
    ): ("/responsibilities/talent-management", "Talent management"),
    ("nhs-leadership-academy", "Correction: the records about talent management were corrected"): (
        "/responsibilities/talent-management",
        "Talent management",
    ),
    ("nhs-england", "Government response to recommendation 8: For future discussion"): (
        "/recommendations/smith-review%3Arec-8",
        "Recommendation 8",
    ),
    ("nhs-improvement", "Took effect: Talent management moved to NHS Improvement"): (
        "/responsibilities/talent-management",
        "Talent management",
    ),
    (
        "nhs-improving-quality",
        "Withdrawn: NHS Improving Quality will not cease to operate as a "
        "national organisation after all",
    ): ("/organisations/nhs-improving-quality", "NHS Improving Quality"),
    ("nhs-improvement", "Progress on recommendation 8: In progress"): (
        "/recommendations/smith-review%3Arec-8",
        "Recommendation 8",
    ),
    ("nhs-england", "In effect: Publishing leadership data was given to NHS England"): (
        "/responsibilities/leadership-data",
        LEADERSHIP_DATA,
    ),
    (
        "nhs-improvement",
        "Announced: Publishing leadership data will move from NHS England to NHS Improvement",
    ): ("/responsibilities/leadership-data", LEADERSHIP_DATA),
    (
        "nhs-england",
        "Announced: Publishing leadership data will move from NHS England to NHS Improvement",
    ): ("/responsibilities/leadership-data", LEADERSHIP_DATA),
}


def _address(org: str) -> str:
    return f"alerts@{org}.example.org"


def _parts(message: Message) -> tuple[str, str]:
    """The text and HTML parts, decoded."""
    found = {"text/plain": "", "text/html": ""}
    for part in message.walk():
        if part.get_content_type() in found:
            raw = part.get_payload(decode=True)
            assert isinstance(raw, bytes)
            decoded = raw.decode(part.get_content_charset() or "utf-8")
            found[part.get_content_type()] = decoded.replace("\r\n", "\n")
    return found["text/plain"], found["text/html"]


@pytest.fixture(scope="module")
async def mails(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every alert e-mail sent, once the Smith review and the later changes are alerted."""
    assert stack.mail is not None
    async with httpx.AsyncClient(timeout=30) as http:
        for org in SUBSCRIBERS:
            token = issue_token(AuthSettings(), "alerts-e2e", ["subscriptions:write"], org)
            answer = await http.post(
                f"{stack.notifier}/v1/subscriptions",
                json={"channel": "email", "email": _address(org), "await_registration": True},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 201, answer.text
    folder = tmp_path_factory.mktemp("later")
    await asyncio.to_thread(import_smith_then, stack.registry, LATER, folder)
    sink = stack.mail

    def found() -> list[dict[str, Any]]:
        out = []
        for to, message in list(sink.messages):
            text, html = _parts(message)
            subject = " ".join(str(message["Subject"]).split())  # unfolded
            out.append({"to": to[0], "subject": subject, "text": text, "html": html})
        return out

    def every_expected(seen: list[dict[str, Any]]) -> bool:
        got = {(m["to"], m["text"].split("\n", 1)[0]) for m in seen}
        return all((_address(o), f"{h}.") in got for o, h in EXPECTED)

    return await eventually(found, every_expected, within=120)


def _mail(mails: list[dict[str, Any]], org: str, headline: str) -> dict[str, Any]:
    [found] = [
        m for m in mails if m["to"] == _address(org) and m["text"].startswith(f"{headline}.\n")
    ]
    return found


@pytest.mark.parametrize(("org", "headline"), list(EXPECTED))
async def test_an_alert_reads_as_sentences_and_links_to_its_page(
    stack: Stack, mails: list[dict[str, Any]], org: str, headline: str
) -> None:
    mail = _mail(mails, org, headline)
    text, html = mail["text"], mail["html"]
    assert mail["subject"] == headline
    told = re.findall(r"^- (.+)$", text, re.M)
    assert told and all(line.endswith(".") and " is told because " in line for line in told)
    path, heading = EXPECTED[(org, headline)]
    [link] = re.findall(r"^See it on Remit: (\S+)$", text, re.M)
    assert link == stack.pages + path
    assert f'href="{link}"' in html
    assert "The source says:" in text and "“" in text
    async with httpx.AsyncClient(timeout=30) as http:
        page = await http.get(link)
    assert page.status_code == 200
    [h1] = re.findall(r"<h1[^>]*>\s*(.*?)\s*</h1>", page.text, re.S)
    assert h1 == heading


async def test_every_alert_says_where_its_change_stands(mails: list[dict[str, Any]]) -> None:
    stages = {
        "Announced": "A source says this will happen.",
        "In effect": "The source states this as done",
        "Took effect": "This was announced earlier and has now taken effect.",
        "Withdrawn": "This was announced earlier and will not happen",
        "Correction": "Earlier records were wrong and have been corrected.",
    }
    for mail in mails:
        head = mail["text"].split(":", 1)[0]
        if head in stages:
            assert f"{head}: {stages[head]}" in mail["text"], mail["text"]
