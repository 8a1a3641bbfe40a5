"""Screenshots of each page kind for the Smith review, for docs/pages.md.

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
    "responsibility": "/responsibilities/talent-management",
    "responsibility-as-of": "/responsibilities/talent-management?at_position=53",
    "review-bodies": "/reviews/smith-review/organisations",
}


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
        await browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    folder = Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(sys.argv[1], folder))
