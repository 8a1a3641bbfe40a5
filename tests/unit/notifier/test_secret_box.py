"""Webhook secrets sealed at rest: Fernet under the first key, opened by any, re-sealed under the
newest; the keys come from REMIT_WEBHOOK_ENCRYPTION_KEYS, and production refuses to start
without its own."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.notifier.adapters.secret_box import (
    DEVELOPMENT_KEY,
    SecretBox,
    UnreadableSecret,
    new_key,
    parse_keys,
)
from services.notifier.config import NotifierSettings
from services.notifier.service_layer.subscriptions import new_secret

OLD, NEW = new_key(), new_key()


def test_a_sealed_secret_shows_nothing_of_it_and_opens_again() -> None:
    secret = new_secret()
    box = SecretBox([OLD])
    sealed = box.seal(secret)
    assert box.open(sealed) == secret
    assert secret.removeprefix("whsec_") not in sealed and not sealed.startswith("whsec_")
    assert box.seal(secret) != sealed  # a fresh IV each time: equal secrets do not show


def test_an_altered_token_or_a_foreign_key_is_refused() -> None:
    sealed = SecretBox([OLD]).seal(new_secret())
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(UnreadableSecret):
        SecretBox([OLD]).open(altered)
    with pytest.raises(UnreadableSecret):
        SecretBox([NEW]).open(sealed)


def test_rotation_the_first_key_seals_every_key_opens_reseal_moves_to_the_first() -> None:
    secret = new_secret()
    old_sealed = SecretBox([OLD]).seal(secret)
    both = SecretBox([NEW, OLD])
    assert both.open(old_sealed) == secret and not both.is_current(old_sealed)
    resealed = both.reseal(old_sealed)
    assert both.is_current(resealed) and SecretBox([NEW]).open(resealed) == secret
    with pytest.raises(UnreadableSecret):
        SecretBox([OLD]).open(resealed)
    assert SecretBox([NEW]).open(both.seal(secret)) == secret


def test_keys_are_32_bytes_of_url_safe_base64_padding_optional() -> None:
    raw = secrets.token_bytes(32)
    padded = base64.urlsafe_b64encode(raw).decode()
    assert parse_keys(f"{padded.rstrip('=')}, {Fernet.generate_key().decode()}")[0] == padded
    assert len(parse_keys(secrets.token_urlsafe(32))) == 1  # what .env.example's fill-in makes
    for bad in ("", " , ", "short", base64.urlsafe_b64encode(b"x" * 16).decode(), "!" * 43):
        with pytest.raises(ValueError):
            parse_keys(bad)


def test_production_refuses_to_start_without_its_own_key() -> None:
    production: dict[str, Any] = {"environment": "production", "webhook_require_https": True}
    with pytest.raises(ValidationError, match="must be set in production"):
        NotifierSettings(**production)
    with pytest.raises(ValidationError, match="must be set in production"):
        NotifierSettings(**production, webhook_encryption_keys=f"{DEVELOPMENT_KEY},{NEW}")
    with pytest.raises(ValidationError, match="key 2 is not 32 bytes") as refused:
        NotifierSettings(**production, webhook_encryption_keys=f"{NEW},{NEW[:20]}")
    assert NEW not in str(refused.value) and NEW[:20] not in str(refused.value)
    moving_off = NotifierSettings(**production, webhook_encryption_keys=f"{NEW},{DEVELOPMENT_KEY}")
    assert len(moving_off.encryption_keys) == 2
    assert NEW not in repr(moving_off)  # the keys are a SecretStr
    assert NotifierSettings().encryption_keys == parse_keys(DEVELOPMENT_KEY)  # development
