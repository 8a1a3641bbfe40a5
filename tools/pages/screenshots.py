"""Screenshots of each page kind for the Smith review, for docs/pages.md, and of one alert
e-mail (the HTML part, rendered here from the Smith events as the notifier renders it).

    make run    # (or any stack with the Smith review imported), then:
    .venv/bin/python -m tools.pages.screenshots http://127.0.0.1:8004 docs/pages

Debian's headless Chromium through Playwright, as the browser tests drive it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import async_playwright

from tests.support.browser import FLAGS, chromium

PAGES = {
    "home": "/",
    "board": "/reviews/smith-review",
    "recommendation": "/recommendations/smith-review:rec-9",
    "organisation": "/organisations/nhs-leadership-academy",
    "organisation-as-of": "/organisations/nhs-england?as_of=2015-06-01",
    "responsibility": "/responsibilities/talent-management",
    "review-bodies": "/reviews/smith-review/organisations",
}


def alert_email(base: str) -> str:
    """The e-mail NHS Improvement gets for the corrected record of talent management: the
    move to it, announced (the Smith events folded into the notifier's knowledge)."""
    from services.notifier.domain import alert_context, knowledge, messages
    from tests.support.smith import smith_events

    events = {p.position: p.event for p in smith_events()}
    known = knowledge.fold(events.values())
    correction = events[62]
    announced = correction.replaced[0].replacement  # type: ignore[attr-defined]
    context = alert_context.context(announced, known.logs)
    payload = announced.model_dump(mode="json")
    reasons = ["responsibility_gained"]
    return messages.message(payload, 62, "nhs-improvement", reasons, context, base).email_html


async def take(base: str, out: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=FLAGS)
        page = await browser.new_page(viewport={"width": 1000, "height": 800})
        for name, path in PAGES.items():
            answer = await page.goto(base.rstrip("/") + path)
            if answer is None or answer.status != 200:
                raise SystemExit(f"{path}: {answer.status if answer else 'no answer'}")
            await page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        mail = await browser.new_page(viewport={"width": 700, "height": 600})  # no page's CSP
        await mail.set_content(alert_email(base.rstrip("/")))
        await mail.screenshot(path=str(out / "alert-email.png"), full_page=True)
        print(out / "alert-email.png")
        await browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    folder = Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(sys.argv[1], folder))
