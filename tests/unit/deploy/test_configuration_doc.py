"""docs/configuration.md is generated from the settings classes and must not go stale."""

from __future__ import annotations

from tools.compose import config_table


def test_the_configuration_table_is_up_to_date() -> None:
    assert config_table.DOC.read_text(encoding="utf-8") == config_table.render(), (
        "docs/configuration.md is stale: run python tools/compose/config_table.py"
    )


def test_every_setting_has_a_meaning() -> None:
    missing = [
        f"{service}.{name}"
        for service in config_table.SETTINGS_MODULES
        if (cls := config_table.settings_class(service)) is not None
        for name, field in cls.model_fields.items()
        if not (field.description or config_table.MEANINGS.get(name))
    ]
    assert missing == [], "add Field(description=...) or an entry in MEANINGS"
