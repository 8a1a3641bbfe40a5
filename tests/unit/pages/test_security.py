"""The pages' Content-Security-Policy allows exactly the inline script the pages hold, and the
page-level "some facts uncertain" flag finds an uncertain fact at any depth of a view."""

from __future__ import annotations

import re

from services.projections.entrypoints.pages.common import uncertain
from services.projections.entrypoints.pages.render import ENV
from services.projections.entrypoints.pages.security import CSP, script_hash

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def test_every_inline_script_of_a_page_is_allowed_by_its_hash_and_nothing_else_is() -> None:
    page = ENV.get_template("error.html").render(title="Page not found", detail=None, path="/")
    scripts = INLINE.findall(page)
    assert len(scripts) == 1
    assert all(script_hash(s) in CSP for s in scripts)
    assert "'unsafe-inline'" not in CSP and "script-src 'self' 'sha256-" in CSP
    assert re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", page) == ["/assets/init.mjs"]


def test_some_facts_uncertain_is_found_at_any_depth() -> None:
    certain = {"org": {"name": "A", "valid": {"at": None, "uncertain": False}}, "rows": [{}]}
    assert not uncertain(certain)
    deep = {"org": {"history": [{"valid": {"not_after": "2026-11-30", "uncertain": True}}]}}
    assert uncertain(deep)
    assert uncertain({"bodies": [{"id": "x"}, {"id": "y", "uncertain": True}]})
