"""docker-compose.yml checked without a Docker engine: schema, order, env, ports, commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.unit.deploy import support
from tools.compose import init_stack
from tools.compose.config_table import env_names

SCHEMA_FILE = support.ROOT / "tools" / "compose" / "compose-spec.json"
SERVICES = support.compose()["services"]
ONE_SHOT = sorted(name for name, svc in SERVICES.items() if svc.get("restart") == "no")
LONG_RUNNING = sorted(set(SERVICES) - set(ONE_SHOT))


def _schema() -> Any:
    return json.loads(Path(SCHEMA_FILE).read_text(encoding="utf-8"))


def test_the_file_is_valid_against_the_compose_specification() -> None:
    validator = jsonschema.Draft201909Validator(_schema())
    errors = validator.iter_errors(support.raw_compose())
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_secrets_have_no_default_and_compose_refuses_to_start_without_them() -> None:
    for missing in support.SECRETS_ENV:
        env = {k: v for k, v in support.SECRETS_ENV.items() if k != missing}
        with pytest.raises(support.MissingVariable, match=missing):
            support.compose(env)


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_a_healthcheck(name: str) -> None:
    check = SERVICES[name].get("healthcheck", {})
    assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    assert SERVICES[name].get("restart") == "unless-stopped"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_for_health_or_completion(name: str) -> None:
    for dependency, spec in SERVICES[name].get("depends_on", {}).items():
        expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
        assert isinstance(spec, dict), f"{name} -> {dependency}: use the long form"
        assert spec.get("condition") == expected, f"{name} -> {dependency}"


@pytest.mark.parametrize("name", support.HTTP_SERVICES)
def test_services_start_after_infrastructure_init_and_keys(name: str) -> None:
    assert {"postgres", "kafka", "kafka-init", "init", "keys"} <= set(SERVICES[name]["depends_on"])


def test_init_starts_after_the_kafka_principals_exist() -> None:
    assert "kafka-init" in SERVICES["init"]["depends_on"]
    assert SERVICES["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_the_import_runs_once_the_registry_is_healthy() -> None:
    job = SERVICES["import-smith"]
    assert job["command"] == ["remit", "import", "data/smith-review.yaml"]
    assert job["depends_on"]["registry"]["condition"] == "service_healthy"
    registry_url = urlsplit(support.environment(job)["REMIT_REGISTRY_URL"])
    assert (registry_url.hostname, registry_url.port) == ("registry", _port("registry"))


def test_named_volumes_keep_the_data() -> None:
    declared = set(support.compose()["volumes"])
    for name in ("postgres", "kafka", "mailpit"):
        mounts = [m.split(":", 1)[0] for m in SERVICES[name].get("volumes", [])]
        assert mounts and set(mounts) <= declared, f"{name} keeps no data in a named volume"


@pytest.mark.parametrize("name", sorted(support.SETTINGS_OF))
def test_every_remit_variable_is_a_setting_of_its_service(name: str) -> None:
    fields: set[str] = set()
    for owner in support.SETTINGS_OF[name]:
        fields |= set(env_names(support.require_settings(owner)))
    given = {key for key in support.environment(SERVICES[name]) if key.startswith("REMIT_")}
    assert given - fields == set(), f"{name}: not settings of {support.SETTINGS_OF[name]}"


@pytest.mark.parametrize("name", sorted(support.SETTINGS_OF))
def test_the_settings_accept_the_values_compose_gives(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("REMIT_")]:
        monkeypatch.delenv(key)
    for key, value in support.environment(SERVICES[name]).items():
        monkeypatch.setenv(key, value)
    for owner in support.SETTINGS_OF[name]:
        support.require_settings(owner)()  # raises if a value or a production rule is refused


def _port(name: str) -> int:
    cls = support.require_settings(name)
    override = support.environment(SERVICES[name]).get("REMIT_PORT")
    return int(override) if override else int(cls.model_fields["port"].default)


def _pages_port() -> int:
    cls = support.require_settings("projections")
    override = support.environment(SERVICES["projections"]).get("REMIT_PAGES_PORT")
    return int(override) if override else int(cls.model_fields["pages_port"].default)


def _published(name: str) -> list[tuple[str, int]]:
    """The ports a service publishes, with the variable that moves each: its API's, and the
    projections' pages."""
    found = [(f"REMIT_{name.upper()}_HOST_PORT", _port(name))]
    return found + ([("REMIT_PAGES_HOST_PORT", _pages_port())] if name == "projections" else [])


@pytest.mark.parametrize("name", support.HTTP_SERVICES)
def test_published_and_healthchecked_ports_are_the_service_port(name: str) -> None:
    port = _port(name)
    targets = [int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in SERVICES[name]["ports"]]
    assert targets == [p for _, p in _published(name)] and targets[0] == port
    probe = " ".join(SERVICES[name]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/healthz" in probe and "urllib" in probe


@pytest.mark.parametrize("name", sorted(n for n in SERVICES if "build" in SERVICES[n]))
def test_commands_name_real_entry_points(name: str) -> None:
    """Of the project's images (kafka-init runs a script in the Kafka image: see
    test_compose_security.py)."""
    assert support.resolve_command(SERVICES[name]["command"]) is None


@pytest.mark.parametrize("step", init_stack.MIGRATIONS, ids=lambda step: step[0])
def test_the_init_job_runs_real_migration_commands(step: tuple[str, ...]) -> None:
    assert support.resolve_command(["python", "-m", *step]) is None


def test_the_init_job_creates_the_topics() -> None:
    from infra.kafka.topics import REMIT_TOPICS

    assert {t.name for t in REMIT_TOPICS} == {"remit.events", "remit.events.dlq"}
    assert SERVICES["init"]["command"] == ["python", "-m", "tools.compose.init_stack"]


OFFICIAL_IMAGES = {
    "kafka": ("REMIT_KAFKA_IMAGE", "apache/kafka:"),
    "postgres": ("REMIT_POSTGRES_IMAGE", "postgres:"),
    "mailpit": ("REMIT_MAILPIT_IMAGE", "axllent/mailpit:"),
}


@pytest.mark.parametrize("name", sorted(OFFICIAL_IMAGES))
def test_third_party_images_are_variables_defaulting_to_the_official_ones(name: str) -> None:
    variable, official = OFFICIAL_IMAGES[name]
    raw = support.raw_compose()["services"][name]["image"]
    assert raw.startswith(f"${{{variable}:-{official}"), raw
    assert SERVICES[name]["image"].startswith(official)
    stand_in = support.compose({**support.SECRETS_ENV, variable: "localhost/x/y:1"})
    assert stand_in["services"][name]["image"] == "localhost/x/y:1"


def test_every_build_uses_the_python_image_variable_and_the_dockerfile_default() -> None:
    dockerfile = support.DOCKERFILE.read_text(encoding="utf-8")
    default = dockerfile.split("ARG PYTHON_IMAGE=", 1)[1].split()[0]
    builds = [svc["build"] for svc in SERVICES.values() if "build" in svc]
    assert len(builds) == 7
    assert {b["args"]["PYTHON_IMAGE"] for b in builds} == {default}
    raw = support.raw_compose()["x-remit-build"]["args"]["PYTHON_IMAGE"]
    assert raw == f"${{REMIT_PYTHON_IMAGE:-{default}}}"


def test_the_local_stand_ins_are_named_by_the_compose_variables() -> None:
    from tools.podman import images

    text = support.COMPOSE.read_text(encoding="utf-8")
    for image in images.STAND_INS:
        assert f"${{{image.variable}:-" in text, image.variable
    assert images.TARGETS == ("registry", "projections", "notifier", "tools")


@pytest.mark.parametrize("name", support.HTTP_SERVICES)
def test_published_ports_are_variables_on_a_chosen_address(name: str) -> None:
    published = support.raw_compose()["services"][name]["ports"]
    expected = _published(name)
    assert published == [
        f"${{REMIT_PUBLISH_ADDRESS:-0.0.0.0}}:${{{variable}:-{port}}}:{port}"
        for variable, port in expected
    ]
    moved_to = {variable: str(18001 + i) for i, (variable, _) in enumerate(expected)}
    moved = support.compose(
        {**support.SECRETS_ENV, **moved_to, "REMIT_PUBLISH_ADDRESS": "127.0.0.1"}
    )
    assert moved["services"][name]["ports"] == [
        f"127.0.0.1:{moved_to[variable]}:{port}" for variable, port in expected
    ]


def test_alerts_link_to_the_published_pages() -> None:
    notifier = support.compose(support.SECRETS_ENV)["services"]["notifier"]["environment"]
    assert notifier["REMIT_PAGES_BASE_URL"] == f"http://localhost:{_pages_port()}"
    public = {**support.SECRETS_ENV, "REMIT_PAGES_BASE_URL": "https://remit.example.org"}
    notifier = support.compose(public)["services"]["notifier"]["environment"]
    assert notifier["REMIT_PAGES_BASE_URL"] == "https://remit.example.org"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_exec_form_health_checks_have_no_argument_with_a_space(name: str) -> None:
    """podman 4.3's Docker-compatible API splits CMD arguments at spaces (CI runs compose
    through it): a command that needs spaces goes in CMD-SHELL."""
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    if test[0] == "CMD":
        assert all(" " not in arg for arg in test[1:]), test
