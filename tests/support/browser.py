"""Headless Chromium from Debian's packages, driven by Playwright (its own browsers are never
downloaded), and axe-core from npm (tools/pages, installed by ``make pages-assets``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools" / "pages" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(os.environ.get("REMIT_TEST_ARTEFACTS", ROOT / "tests" / "artefacts")) / "pages"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""As root on a closed network: without the background-networking flags Chromium floods it
with refused connections."""
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def chromium() -> str:
    found = os.environ.get("REMIT_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError(
            "no chromium: run 'make browser' (Debian's package) or set REMIT_CHROMIUM"
        )
    return found


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.2 A/AA (and its best practices) on the page as it is."""
    if not AXE.exists():
        raise RuntimeError(f"no {AXE}: run 'make pages-assets'")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_22_AA,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


async def check(page: Page, name: str) -> None:
    """Zero axe violations, and a full-page screenshot ``<name>.png`` as a test artefact."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    found = await axe_violations(page)
    assert found == [], f"{name} ({page.url}): " + json.dumps(found, indent=1)
