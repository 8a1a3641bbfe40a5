"""The pages for people in a real headless Chromium (Debian's), on the native stack: every page
kind for the Smith review and for a review recorded through the API, followed as a person would
(board -> cell -> recommendation -> body -> lineage), "view as of", the CSV download, pages
without JavaScript, and axe-core on every page (WCAG 2.2 AA: zero violations). Screenshots go
to tests/artefacts/pages/."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.conftest import Stack
from tests.support.browser import FLAGS, check, chromium
from tests.support.datasets import MadeUpDocument, import_smith_then
from tests.support.eventually import eventually

pytestmark = pytest.mark.e2e

OTHER_REVIEW = MadeUpDocument(
    "pages-e2e",
    "A test review",
    "Quoted from the test review.",
    [
        {
            "key": "org/a",
            "command": "RegisterOrganisation",
            "organisation_id": "pages-body-a",
            "name": "Body A",
            "kind": "other",
        },
        {
            "key": "org/b",
            "command": "RegisterOrganisation",
            "organisation_id": "pages-body-b",
            "name": "Body B",
            "kind": "other",
        },
        {
            "key": "review",
            "command": "PublishReview",
            "review_id": "pages-review",
            "title": "A review recorded through the API",
            "author": "A Tester",
            "recommendation_count": 1,
        },
        {
            "key": "rec/1",
            "command": "RecordRecommendation",
            "recommendation_id": "pages-review:1",
            "review_id": "pages-review",
            "number": "1",
            "text": "Body A should do a thing.",
        },
        {
            "key": "response/1",
            "command": "RecordGovernmentResponse",
            "recommendation_id": "pages-review:1",
            "response": "implement_in_full",
            "response_text": "Accepted.",
            "lead_ids": ["pages-body-a"],
            "supporting_ids": ["pages-body-b"],
        },
        {
            "key": "progress/1",
            "command": "RecordImplementationProgress",
            "recommendation_id": "pages-review:1",
            "status": "in_progress",
            "target_date": "2027-03-31",
            "claim": {"claimed_by": "pages-body-a", "verified_by": "pages-body-b"},
        },
        {
            "key": "progress/2",
            "command": "RecordImplementationProgress",
            "recommendation_id": "pages-review:1",
            "status": "in_progress",
            "target_date": "2027-09-30",
            "target_date_change_reason": "Funding came late.",
            "claim": {"claimed_by": "pages-body-a"},
        },
    ],
)


async def _wait_ok(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        await eventually(
            lambda: http.get(url),
            lambda answer: answer.status_code == 200,
            within=60,
            tolerate=(httpx.HTTPError,),
        )


@pytest.fixture(scope="module")
async def pages(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The pages' base URL, once the Smith review and another review are applied."""
    folder = tmp_path_factory.mktemp("dataset")
    last = await asyncio.to_thread(import_smith_then, stack.registry, OTHER_REVIEW, folder)
    await _wait_ok(f"{stack.projections}/v1/reviews/pages-review/summary?min_position={last}")
    await _wait_ok(f"{stack.pages}/healthz")
    return stack.pages


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # axe-core is injected as an inline script, which the pages' CSP refuses: these contexts
    # bypass it (test_the_content_security_policy_... runs with it)
    context = await browser.new_context(
        viewport={"width": 1100, "height": 900}, accept_downloads=True, bypass_csp=True
    )
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()


async def test_board_to_cell_to_recommendation_to_body_to_lineage(pages: str, page: Page) -> None:
    await page.goto(pages + "/")
    await expect(page.locator("h1")).to_contain_text("Reviews")
    await check(page, "home")

    await page.get_by_role("link", name="Review of the centrally funded leadership").click()
    await expect(page.locator("h1")).to_have_text(
        "Review of the centrally funded leadership development and improvement system"
    )
    await expect(page.locator("#freshness")).to_contain_text("position")
    await check(page, "board")

    await page.get_by_role("link", name="4: Partially implement, Not known").click()
    assert "response=partially_implement" in page.url and "delivery=unknown" in page.url
    rows = page.locator("table:has(caption:text('Recommendations shown')) tbody tr")
    await expect(rows).to_have_count(4)
    await check(page, "board-filtered")

    await rows.filter(has_text="commissioning programmes").get_by_role("link").first.click()
    await expect(page.locator("h1")).to_have_text("Recommendation 9")
    await expect(page.locator("body")).to_contain_text("What changed against the proposal")
    await expect(page.locator(".remit-quote").first).to_contain_text(
        "Responsibility for commissioning"
    )
    await check(page, "recommendation")

    await page.get_by_role("link", name="NHS Improvement").first.click()
    await expect(page.locator("h1")).to_have_text("NHS Improvement")
    await expect(page.locator("svg[role=img]")).to_have_count(1)
    await check(page, "organisation")

    await page.get_by_role("link", name="Talent management", exact=True).first.click()
    await expect(page.locator("h1")).to_have_text("Talent management")
    await expect(page.locator("body")).to_contain_text("Held now by no body known")
    picture = page.locator("svg[role=img]")
    await expect(picture).to_have_attribute("aria-labelledby", "lineage-title lineage-desc")
    facts = page.locator("table:has(caption:text('the same facts in words')) tbody tr")
    await expect(
        facts.filter(has_text="A move to NHS Improvement is announced, not yet in effect.")
    ).to_have_count(1)
    await expect(page.locator("body")).to_contain_text("Corrected at position")
    await check(page, "responsibility")


async def test_view_as_of_keeps_a_shareable_address(pages: str, page: Page) -> None:
    await page.goto(pages + "/organisations/nhs-improvement")
    announced = page.get_by_role("link", name="Talent management", exact=True)
    await expect(announced).to_have_count(1)
    await page.get_by_label("or at a position").fill("51")
    await page.get_by_role("button", name="View").click()
    assert page.url.endswith("/organisations/nhs-improvement?at_position=51")
    await expect(announced).to_have_count(0)  # announced at position 54
    await expect(page.locator("#freshness")).to_contain_text("as it was at position")
    await check(page, "organisation-at-position")

    await page.locator(".govuk-breadcrumbs").get_by_role("link", name="Reviews").click()
    assert page.url.endswith("/?at_position=51")  # links keep the view

    await page.goto(pages + "/organisations/nhs-england")
    await expect(page.locator("#uncertain")).to_have_count(0)
    await page.get_by_label("View as of a date").fill("2015-06-01")
    await page.get_by_role("button", name="View").click()
    assert page.url.endswith("/organisations/nhs-england?as_of=2015-06-01")
    flag = page.locator("#uncertain")
    await expect(flag).to_contain_text("Some facts on this page are uncertain for 2015-06-01")
    await expect(
        page.locator(".govuk-tag", has_text="May not be in effect yet").first
    ).to_be_visible()
    await check(page, "organisation-as-of")

    await page.get_by_label("View as of a date").fill("31/12/1999")
    await page.get_by_role("button", name="View").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a date like")
    await check(page, "as-of-error")


async def test_the_csv_download_is_what_the_board_shows(pages: str, page: Page) -> None:
    await page.goto(pages + "/reviews/smith-review?response=future_discussion")
    shown = await page.locator("table:has(caption:text('Recommendations shown')) tbody tr").count()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="CSV of the recommendations shown").click()
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert shown == 3 and len(rows) == 3
    assert {r["response"] for r in rows} == {"future_discussion"}
    assert download.suggested_filename == "smith-review-recommendations.csv"


async def test_the_bodies_of_a_review_and_their_family_picture(pages: str, page: Page) -> None:
    await page.goto(pages + "/reviews/smith-review/organisations")
    await expect(page.locator("svg[role=img] title")).to_contain_text("over time")
    facts = page.locator("table:has(caption:text('the same facts in words'))")
    await expect(facts).to_contain_text(
        "Announced: NHS Improving Quality will cease to operate as a national organisation."
    )
    await expect(facts).to_contain_text(
        "Announced: NHS Leadership Academy will become part of Health Education England"
    )
    await expect(facts).to_contain_text(
        "Announced: Strategic clinical networks will take the name “Clinical networks”."
    )
    await expect(facts).to_contain_text(
        "The establishment of National governing boards for improvement and leadership "
        "development is announced"
    )
    await check(page, "review-bodies")


async def test_a_review_recorded_through_the_api(pages: str, page: Page) -> None:
    await page.goto(pages + "/")
    await page.get_by_role("link", name="A review recorded through the API").click()
    await expect(
        page.locator("table:has(caption:text('Recommendations shown')) tbody tr")
    ).to_have_count(1)
    await page.get_by_role("link", name="Body A should do a thing.").click()
    body = page.locator("body")
    await expect(body).to_contain_text("Claimed by Body A")
    await expect(body).to_contain_text("Verified by Body B")
    await expect(body).to_contain_text("Deadline moved from 2027-03-31: Funding came late.")
    await check(page, "recommendation-other-review")


async def test_pages_work_without_javascript(pages: str, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(pages + "/reviews/smith-review")
        await page.get_by_label("Government response").select_option("not_implement")
        await page.get_by_role("button", name="Apply filters").click()
        assert page.url.endswith("/reviews/smith-review?response=not_implement")
        rows = page.locator("table:has(caption:text('Recommendations shown')) tbody tr")
        await expect(rows).to_have_count(1)
    finally:
        await context.close()


async def test_the_content_security_policy_blocks_nothing_the_pages_need(
    pages: str, browser: Browser
) -> None:
    context = await browser.new_context()  # the policy applies
    said: list[str] = []
    try:
        page = await context.new_page()
        page.on("console", lambda message: said.append(message.text))
        answer = await page.goto(pages + "/reviews/smith-review")
        assert answer is not None
        assert "default-src 'none'" in (await answer.all_headers())["content-security-policy"]
        await expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
        await page.goto(pages + "/organisations/nhs-improvement")
        await expect(page.locator("svg[role=img]")).to_have_count(1)
    finally:
        await context.close()
    assert not [m for m in said if "Content Security Policy" in m], said


async def test_unknown_pages_answer_404_in_html(pages: str, page: Page) -> None:
    answer = await page.goto(pages + "/organisations/no-such-body")
    assert answer is not None and answer.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
    await check(page, "not-found")
