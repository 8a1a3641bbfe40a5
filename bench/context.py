"""What every workload gets: the stack, the run's size, where to put logs and profiles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.services import Service
from bench.stack import BenchStack

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Context:
    stack: BenchStack
    quick: bool
    profile: bool

    @property
    def log_dir(self) -> Path:
        return self.stack.settings.state_dir / "logs"

    def registry(self, workload: str, database: str, fresh: bool = True, **env: str) -> Service:
        """A registry (API + in-process relay) on a database of its own, fresh by default."""
        url = (self.stack.fresh_database if fresh else self.stack.sqlalchemy_url)(database)
        return Service(
            "registry",
            "services.registry",
            workload,
            self.log_dir,
            env={
                "REMIT_DATABASE_URL": url,
                **self.stack.kafka_env,
                "REMIT_HOST": "127.0.0.1",
                **env,
            },
            args=("serve",),
        )
