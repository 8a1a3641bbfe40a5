"""Start and stop the broker: resolve jars, write server.properties, format, launch, probe."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from infra import process
from infra.settings import REPO_ROOT, Settings

KAFKA_VERSION = "4.1.1"
HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOG4J2 = HERE / "log4j2.yaml"
DEP_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
JVM = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
START_TIMEOUT = 120.0


def libs_dir() -> Path:
    return REPO_ROOT / ".cache" / "kafka" / KAFKA_VERSION / "libs"


def resolve(force: bool = False) -> Path:
    """Copy the broker's runtime jars from Maven Central into .cache/ (once)."""
    libs = libs_dir()
    marker = libs.parent / "resolved"
    fresh = marker.exists() and marker.stat().st_mtime >= POM.stat().st_mtime
    if fresh and not force:
        return libs
    shutil.rmtree(libs, ignore_errors=True)
    mvn = ["mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(POM), DEP_PLUGIN]
    args = ["-DincludeScope=runtime", f"-DoutputDirectory={libs}"]
    done = subprocess.run([*mvn, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"maven could not resolve Kafka:\n{done.stdout}\n{done.stderr}")
    names = sorted(p.name for p in libs.glob("*.jar"))
    slf4j = [n for n in names if n.startswith("slf4j-api-")]
    if len(slf4j) != 1 or not slf4j[0].startswith("slf4j-api-1.7."):
        raise RuntimeError(f"expected one slf4j-api 1.7.x jar, found {slf4j}")
    if not any(n.startswith("log4j-slf4j-impl-") for n in names):
        raise RuntimeError("log4j-slf4j-impl is missing: the broker would log nothing")
    marker.write_text("\n".join(names) + "\n")
    return libs


def _java(settings: Settings, main: str, *args: str, jvm: list[str] | None = None) -> list[str]:
    logs = settings.kafka_dir / "logs"
    return [
        "java",
        *(jvm or []),
        "-cp",
        f"{resolve()}/*",
        f"-Dlog4j2.configurationFile={LOG4J2}",
        f"-Dkafka.logs.dir={logs}",
        main,
        *args,
    ]


def _listeners(settings: Settings) -> dict[str, str]:
    """Plaintext; or, with ``kafka_auth``, SASL on both listeners and the standard authorizer.

    Clients authenticate with SCRAM-SHA-512 (principals and ACLs: infra/kafka/principals.py).
    ``admin``, the super user, logs in with PLAIN against the broker's own configuration, so it
    needs nothing from the metadata log: it is also how the broker reaches its controller."""
    port, cport = settings.kafka_port, settings.controller_port
    if not settings.kafka_auth:
        return {
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        }
    from infra.kafka.principals import ADMIN, MECHANISM, passwords

    secret = passwords(settings)[ADMIN]
    plain = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{ADMIN}" password="{secret}" user_{ADMIN}="{secret}";'
    )
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    return {
        "listeners": f"SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.sasl_plaintext.sasl.enabled.mechanisms": f"{MECHANISM},PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": plain,
        f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config": scram,
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": plain,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }


def _properties(settings: Settings) -> str:
    cport = settings.controller_port
    values = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{cport}",
        "controller.listener.names": "CONTROLLER",
        **_listeners(settings),
        "log.dirs": str(settings.kafka_dir / "data"),
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


def _configure(settings: Settings) -> tuple[Path, bool]:
    """Write server.properties and format the log dir the first time (with the administrator's
    SCRAM credential when auth is on). Also says whether the administrator still needs that
    credential: a log dir formatted before auth was turned on has none."""
    from infra.kafka.principals import ADMIN, MECHANISM, passwords, passwords_file

    kdir = settings.kafka_dir
    (kdir / "logs").mkdir(parents=True, exist_ok=True)
    formatted = (kdir / "data" / "meta.properties").exists()
    admin_missing = settings.kafka_auth and formatted and not passwords_file(settings).exists()
    props = kdir / "server.properties"
    props.touch()
    props.chmod(0o600)  # it holds the administrator's password
    props.write_text(_properties(settings))
    if formatted:
        return props, admin_missing
    cluster_id = _storage_tool(settings, "random-uuid").strip()
    scram: list[str] = []
    if settings.kafka_auth:
        secret = passwords(settings)[ADMIN]
        scram = ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={secret}]"]
    _storage_tool(
        settings, "format", "-t", cluster_id, "-c", str(props), "--standalone", "-g", *scram
    )
    return props, False


def _storage_tool(settings: Settings, *args: str) -> str:
    argv = _java(settings, "kafka.tools.StorageTool", *args)
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"StorageTool {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def status(settings: Settings) -> process.ServerStatus:
    pid = process.read_pid(settings.kafka_dir / "kafka.pid")
    return process.ServerStatus(pid, settings.kafka_bootstrap, _version(settings))


def _version(settings: Settings) -> str:
    try:
        text = (settings.kafka_dir / "kafka.log").read_text(errors="replace")
    except OSError:
        return ""
    found = re.findall(r"Kafka version: (\S+)", text)
    return found[-1] if found else ""


def start(settings: Settings) -> process.ServerStatus:
    """Start (or find running) the broker and wait until it answers metadata requests."""
    current = status(settings)
    if current.pid is not None:
        _wait_metadata(settings, 30.0)
        return current
    props, admin_missing = _configure(settings)
    log = settings.kafka_dir / "kafka.log"
    offset = log.stat().st_size if log.exists() else 0
    argv = _java(settings, "kafka.Kafka", str(props), jvm=JVM)
    pid = process.spawn_detached(argv, log, cwd=settings.kafka_dir)
    (settings.kafka_dir / "kafka.pid").write_text(f"{pid}\n")
    if not process.wait_until(lambda: _started(log, offset, pid), START_TIMEOUT, 0.2):
        process.terminate(pid, timeout=10.0)
        raise RuntimeError(f"Kafka did not start; last log lines:\n{process.tail(log)}")
    if admin_missing:
        from infra.kafka.principals import bootstrap_admin

        bootstrap_admin(settings)
    _wait_metadata(settings, 30.0)
    return status(settings)


def _started(log: Path, offset: int, pid: int) -> bool:
    if not process.is_alive(pid):
        raise RuntimeError(f"Kafka exited; last log lines:\n{process.tail(log)}")
    with log.open("rb") as handle:
        handle.seek(offset)
        return b"Kafka Server started" in handle.read()


def _wait_metadata(settings: Settings, timeout: float) -> None:
    """One successful metadata request through aiokafka (as the administrator), retried until
    timeout."""
    from infra.kafka.principals import client
    from services.common.kafka import client_options

    options = client_options(client(settings))
    bootstrap = settings.kafka_bootstrap

    async def probe() -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(**options, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.describe_cluster()
        finally:
            await admin.close()

    def attempt() -> bool:
        return _in_thread(probe) is None

    if not process.wait_until(attempt, timeout, 0.5):
        raise RuntimeError(f"Kafka at {bootstrap} does not answer metadata requests")


def _in_thread(coro_fn: Callable[[], Coroutine[Any, Any, None]]) -> BaseException | None:
    """Run an async probe on a private loop in a thread (callers may be inside a loop)."""
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            asyncio.run(coro_fn())
        except Exception as err:  # any failure means "not ready yet"
            outcome[0] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    return outcome[0]


def stop(settings: Settings, timeout: float = 60.0) -> bool:
    """SIGTERM (controlled shutdown), SIGKILL after timeout. False if it was not running."""
    pid = status(settings).pid
    if pid is None:
        return False
    process.terminate(pid, timeout=timeout)
    (settings.kafka_dir / "kafka.pid").unlink(missing_ok=True)
    return True
