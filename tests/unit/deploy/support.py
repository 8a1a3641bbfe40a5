"""Reading docker-compose.yml, the Dockerfile and pyproject.toml without a Docker engine.

``interpolate`` does what Compose does to ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``;
``parse_dockerfile`` splits the Dockerfile into stages of (instruction, arguments);
``resolve_command`` says whether a container command names a real module or console script.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from tools.compose.config_table import settings_class

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

SECRETS_ENV = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "KAFKA_ADMIN_PASSWORD": "kafka-admin-password",
    "KAFKA_REGISTRY_PASSWORD": "kafka-registry-password",
    "KAFKA_PROJECTIONS_PASSWORD": "kafka-projections-password",
    "KAFKA_NOTIFIER_PASSWORD": "kafka-notifier-password",
    "KAFKA_INTEGRATOR_EXAMPLE_PASSWORD": "kafka-integrator-example-password",
    "NOTIFIER_ENCRYPTION_KEYS": "bm90aWZpZXItZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM",
}
"""What an operator must set before ``docker compose up`` (the key: 32 bytes, base64url)."""

SETTINGS_OF: dict[str, tuple[str, ...]] = {
    "registry": ("registry",),
    "projections": ("projections",),
    "notifier": ("notifier",),
    "init": ("registry", "projections", "notifier"),
    "import-smith": ("cli",),
    "integrator-example": ("cli",),
}
"""Compose service -> the settings classes its REMIT_* variables must be fields of."""

HTTP_SERVICES = ("registry", "projections", "notifier")
_VAR = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


class MissingVariable(KeyError):
    """``${VAR:?message}`` with VAR unset or empty."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg, current = match.group("op"), match.group("arg") or "", env.get(name)
        unset = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and unset:
            return arg
        return current or ""

    return _VAR.sub(substitute, value)


def raw_compose(path: Path = COMPOSE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    resolved: dict[str, Any] = interpolate(raw_compose(), SECRETS_ENV if env is None else env)
    return resolved


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def require_settings(name: str) -> type[Any]:
    """The settings class of ``name``; the test fails if it is missing."""
    cls = settings_class(name)
    if cls is None:
        pytest.fail(f"the {name} settings module does not exist")
    return cls


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse_dockerfile(text: str | None = None) -> dict[str, Stage]:
    text = DOCKERFILE.read_text(encoding="utf-8") if text is None else text
    logical = re.sub(r"\\\n\s*", " ", text)
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else parts[0]
            current = stages[name] = Stage(name, parts[0])
        elif current is not None:
            current.instructions.append((instruction, args.strip()))
    return stages


def lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    """``name`` and the stages it is built FROM, nearest first."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def console_scripts() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    scripts: dict[str, str] = project.get("scripts", {})
    return scripts


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _typer_commands(target: Any) -> set[str] | None:
    if not isinstance(target, typer.Typer):
        return None
    return set(getattr(typer.main.get_command(target), "commands", {}))


def _sources(main_module: str) -> list[Path]:
    """The ``__main__`` file and the files of its package that it imports from."""
    spec = importlib.util.find_spec(main_module)
    assert spec is not None and spec.origin is not None
    files, package = [Path(spec.origin)], main_module.split(".")[0:2]
    for node in ast.walk(ast.parse(files[0].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[:2] == package and _module_exists(node.module):
                found = importlib.util.find_spec(node.module)
                if found is not None and found.origin:
                    files.append(Path(found.origin))
    return files


def _cli_words(main_module: str) -> set[str]:
    """Subcommand names a ``__main__`` can know: its string constants and ``@x.command()``
    functions, read with ``ast`` (importing a ``__main__`` would run it)."""
    words: set[str] = set()
    for path in _sources(main_module):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.add(node.value)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if any("command" in ast.unparse(d) for d in node.decorator_list):
                    words.add(node.name.replace("_", "-"))
    return words


class MissingSubcommand(LookupError):
    """The module exists but has no such subcommand."""


def resolve_command(argv: list[str]) -> str | None:
    """None if ``argv`` runs a real entry point, else why not; raises MissingSubcommand for a
    subcommand the module does not have."""
    if argv[:2] == ["python", "-m"]:
        module, args = argv[2], argv[3:]
        main = f"{module}.__main__" if _module_exists(f"{module}.__main__") else module
        if not _module_exists(main) or (main == module and not _is_script_module(module)):
            return f"`python -m {module}`: there is no {module.replace('.', '/')}/__main__.py"
        if args and not args[0].startswith("-") and args[0] not in _cli_words(main):
            raise MissingSubcommand(f"`python -m {module}` has no subcommand {args[0]!r}")
        return None
    scripts = console_scripts()
    if argv[0] not in scripts:
        return f"{argv[0]!r} is not a console script in pyproject.toml"
    module_name, _, attr = scripts[argv[0]].partition(":")
    target = getattr(importlib.import_module(module_name), attr, None)
    if target is None:
        return f"{scripts[argv[0]]} does not exist"
    commands = _typer_commands(target)
    if len(argv) > 1 and not argv[1].startswith("-") and commands is not None:
        if argv[1] not in commands:
            return f"{argv[0]} has no command {argv[1]!r} (has {sorted(commands)})"
    return None


def _is_script_module(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.submodule_search_locations is None
