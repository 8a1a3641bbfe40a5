"""The Dockerfile, checked without a Docker engine: targets, user, secrets, ports, commands."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.deploy import support
from tools.compose.config_table import env_names

STAGES = support.parse_dockerfile()
TARGETS = ("registry", "projections", "notifier", "tools")


def _all(stage: str, instruction: str) -> list[str]:
    """Arguments of ``instruction`` in ``stage`` and the stages it builds on, nearest first."""
    return [
        args
        for s in support.lineage(STAGES, stage)
        for name, args in reversed(s.instructions)
        if name == instruction
    ]


def test_every_target_compose_builds_exists() -> None:
    built = {
        svc["build"]["target"] for svc in support.compose()["services"].values() if "build" in svc
    }
    assert built <= set(STAGES) and set(TARGETS) <= set(STAGES)


def test_one_python_311_slim_base_and_node_only_to_build_the_pages_assets() -> None:
    bases = {s.name: s.base for s in STAGES.values() if s.base not in STAGES}
    assert bases == {
        "builder": "${PYTHON_IMAGE}",
        "runtime": "${PYTHON_IMAGE}",
        "pages-assets": "${NODE_IMAGE}",
    }
    text = support.DOCKERFILE.read_text(encoding="utf-8")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text and "ARG NODE_IMAGE=node:" in text
    copies = [a for name, a in STAGES["builder"].instructions if name == "COPY"]
    assert "--from=pages-assets /assets ./services/projections/entrypoints/pages/assets" in copies
    for target in TARGETS:
        assert "pages-assets" not in [s.name for s in support.lineage(STAGES, target)]


@pytest.mark.parametrize("target", TARGETS)
def test_targets_run_as_a_non_root_user_from_a_slim_stage(target: str) -> None:
    users = _all(target, "USER")
    assert users and users[0].split(":")[0] not in ("root", "0")
    assert "builder" not in [s.name for s in support.lineage(STAGES, target)]


def test_the_builder_installs_no_dev_extras() -> None:
    runs = " ".join(args for name, args in STAGES["builder"].instructions if name == "RUN")
    assert "pip install" in runs and "[dev]" not in runs


def test_no_secret_is_baked_in() -> None:
    for stage in STAGES.values():
        for name, args in stage.instructions:
            if name in ("ENV", "ARG", "LABEL"):
                assert not re.search(r"SECRET|PASSWORD|TOKEN", args, re.I), (stage.name, args)
            if name in ("COPY", "ADD"):
                assert ".env" not in args.split(), (stage.name, args)
    ignore = (support.ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("**") :][0] == "**" and "!.env" not in ignore


@pytest.mark.parametrize("target", support.HTTP_SERVICES)
def test_services_expose_and_healthcheck_their_port(target: str) -> None:
    port = support.require_settings(target).model_fields["port"].default
    assert _all(target, "EXPOSE") == [str(port)]
    probe = _all(target, "HEALTHCHECK")[0]
    assert f"http://127.0.0.1:{port}/healthz" in probe and "urllib" in probe


@pytest.mark.parametrize("target", support.HTTP_SERVICES)
def test_env_baked_into_a_target_names_its_settings(target: str) -> None:
    fields = env_names(support.require_settings(target))
    for args in _all(target, "ENV"):
        for key in re.findall(r"(REMIT_\w+)=", args):
            assert key in fields, f"{target}: {key}"


@pytest.mark.parametrize("target", TARGETS)
def test_default_commands_name_real_entry_points(target: str) -> None:
    command = json.loads(_all(target, "CMD")[0])
    assert support.resolve_command(command) is None


def test_every_pip_install_may_trust_an_extra_ca_bundle_given_as_a_build_secret() -> None:
    runs = [args for name, args in STAGES["builder"].instructions if name == "RUN"]
    pip_runs = [args for args in runs if "pip install" in args]
    assert len(pip_runs) == 2
    for args in pip_runs:
        assert args.startswith("--mount=type=secret,id=ca_bundle "), args
        assert "required=true" not in args
        assert "[ -s /run/secrets/ca_bundle ]" in args and "PIP_CERT=/run/secrets/ca_bundle" in args
    for stage in ("runtime", *TARGETS):
        assert all("ca_bundle" not in args for _, args in STAGES[stage].instructions)


def test_npm_may_trust_the_same_ca_bundle() -> None:
    runs = [args for name, args in STAGES["pages-assets"].instructions if name == "RUN"]
    [npm] = [args for args in runs if "npm ci" in args]
    assert npm.startswith("--mount=type=secret,id=ca_bundle ") and "required=true" not in npm
    assert "NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle" in npm


def test_the_key_volumes_mount_points_belong_to_the_runtime_user() -> None:
    """A new named volume takes its mount point's owner and mode: the keys job (uid 10001) must
    be able to write the signing-keys and jwks volumes, and only it may read the key."""
    from tools.compose import keys

    runs = " ".join(args for name, args in STAGES["runtime"].instructions if name == "RUN")
    assert "--uid 10001" in runs
    assert f"install -d -o remit -g remit -m 0700 {keys.KEY_DIR}" in runs
    assert f"install -d -o remit -g remit -m 0755 {keys.JWKS_FILE.parent}" in runs
