"""Where the local infrastructure keeps its state and which ports it listens on."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = REPO_ROOT / ".run" / "infra"
DEFAULT_PG_PORT = 55432
DEFAULT_KAFKA_PORT = 59092
DATABASE = "remit"


@dataclass(frozen=True)
class Settings:
    """State directory and ports of one local PostgreSQL + Kafka pair."""

    state_dir: Path
    pg_port: int = DEFAULT_PG_PORT
    kafka_port: int = DEFAULT_KAFKA_PORT
    controller_port: int = DEFAULT_KAFKA_PORT + 1
    kafka_auth: bool = True
    """SASL on the broker's listeners and ACLs (infra/kafka/principals.py); off: plaintext."""

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, overridden by REMIT_STATE_DIR, REMIT_PG_PORT, REMIT_KAFKA_PORT and
        REMIT_KAFKA_AUTH (``0``: a plaintext broker without ACLs)."""
        kafka_port = int(os.environ.get("REMIT_KAFKA_PORT", DEFAULT_KAFKA_PORT))
        controller = os.environ.get("REMIT_KAFKA_CONTROLLER_PORT", kafka_port + 1)
        return cls(
            state_dir=Path(os.environ.get("REMIT_STATE_DIR", DEFAULT_STATE_DIR)).resolve(),
            pg_port=int(os.environ.get("REMIT_PG_PORT", DEFAULT_PG_PORT)),
            kafka_port=kafka_port,
            controller_port=int(controller),
            kafka_auth=os.environ.get("REMIT_KAFKA_AUTH", "1").lower() not in ("0", "false", "no"),
        )

    @classmethod
    def ephemeral(cls, state_dir: Path, kafka_auth: bool = True) -> Settings:
        """Settings on free ports picked now, for a test session."""
        pg, kafka, controller = free_ports(3)
        return cls(state_dir.resolve(), pg, kafka, controller, kafka_auth)

    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "postgres"

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/{DATABASE}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def env_lines(self) -> list[str]:
        """The database; Kafka's lines come with its credentials (infra.kafka.principals)."""
        return [f"export REMIT_DATABASE_URL={self.database_url}"]


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports on 127.0.0.1 that nothing listens on right now."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
