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

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, overridden by REMIT_STATE_DIR, REMIT_PG_PORT, REMIT_KAFKA_PORT."""
        kafka_port = int(os.environ.get("REMIT_KAFKA_PORT", DEFAULT_KAFKA_PORT))
        controller = os.environ.get("REMIT_KAFKA_CONTROLLER_PORT", kafka_port + 1)
        return cls(
            state_dir=Path(os.environ.get("REMIT_STATE_DIR", DEFAULT_STATE_DIR)).resolve(),
            pg_port=int(os.environ.get("REMIT_PG_PORT", DEFAULT_PG_PORT)),
            kafka_port=kafka_port,
            controller_port=int(controller),
        )

    @classmethod
    def ephemeral(cls, state_dir: Path) -> Settings:
        """Settings on free ports picked now, for a test session."""
        pg, kafka, controller = free_ports(3)
        return cls(state_dir.resolve(), pg, kafka, controller)

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
        return [
            f"export REMIT_DATABASE_URL={self.database_url}",
            f"export REMIT_KAFKA_BOOTSTRAP={self.kafka_bootstrap}",
        ]


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
