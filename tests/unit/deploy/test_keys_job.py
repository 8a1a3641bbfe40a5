"""The compose ``keys`` job (tools/compose/keys.py): a key pair made once, its JWKS republished
on every run. The ``remit`` CLI runs in-process here (the job runs it as a subprocess)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from services.common import devkeys
from tests.support.cli import remit
from tools.compose import keys


@pytest.fixture(autouse=True)
def in_process_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "remit", remit)


def test_the_first_run_makes_a_private_key_and_publishes_its_public_half(tmp_path: Path) -> None:
    key_dir, jwks_file = tmp_path / "keys", tmp_path / "jwks" / "jwks.json"
    jwks_file.parent.mkdir()
    keys.main([str(key_dir), str(jwks_file)])
    key = key_dir / keys.KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    published = json.loads(jwks_file.read_text(encoding="utf-8"))
    assert published == devkeys.jwks([devkeys.load_key(key)])
    assert all("d" not in jwk for jwk in published["keys"]), "a private member was published"
    assert stat.S_IMODE(jwks_file.stat().st_mode) == 0o644
    assert [p.name for p in jwks_file.parent.iterdir()] == ["jwks.json"]


def test_later_runs_keep_the_key_and_republish_every_key_in_the_folder(tmp_path: Path) -> None:
    key_dir, jwks_file = tmp_path / "keys", tmp_path / "jwks.json"
    keys.main([str(key_dir), str(jwks_file)])
    first = (key_dir / keys.KEY_NAME).read_bytes()
    (key_dir / "next.pem").write_bytes(devkeys.pem(devkeys.generate_key("EdDSA")))
    keys.main([str(key_dir), str(jwks_file)])
    assert (key_dir / keys.KEY_NAME).read_bytes() == first
    kids = {jwk["kid"] for jwk in json.loads(jwks_file.read_text(encoding="utf-8"))["keys"]}
    assert len(kids) == 2
