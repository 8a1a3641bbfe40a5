"""``make run``: the guide it prints opens with the home page's address, and the notifier's
alerts link to those same pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.run import guide, hooks_spec, service_specs
from infra.settings import Settings


def test_the_guide_names_the_pages_and_the_alerts_link_to_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REMIT_PAGES_PORT", "18004")
    specs = service_specs(Settings(tmp_path, kafka_auth=False), 2525)
    settings = Settings(tmp_path, kafka_auth=False)
    said = guide(specs, tmp_path / "mail", hooks_spec(settings))
    assert "  pages        http://127.0.0.1:18004/   (open this in a browser" in said
    by_name = {s.name: s.env for s in specs}
    assert by_name["projections"]["REMIT_PAGES_PORT"] == "18004"
    assert by_name["notifier"]["REMIT_PAGES_BASE_URL"] == "http://127.0.0.1:18004"
    assert "webhooks     POST http://127.0.0.1:8005/<anything>" in said
