"""The compose ``init`` job: database migrations of the three services, then the Kafka topics.

    python -m tools.compose.init_stack      # in the ``tools`` image, WORKDIR /app

Everything here is idempotent, so the job runs on every ``docker compose up``. Each step is
retried for a while, so a dependency that is still starting does not fail the job.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    ("services.registry", "migrate"),
    ("services.projections", "migrate"),
    ("services.notifier", "migrate"),
)
"""``python -m <module> <subcommand>`` of each service's migrations, in order."""

ATTEMPTS = 20
DELAY_S = 3.0


def retried(name: str, step: Callable[[], None]) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            step()
        except Exception as exc:
            if attempt == ATTEMPTS:
                raise
            print(f"init: {name} failed ({exc}); retry {attempt}/{ATTEMPTS - 1}", flush=True)
            time.sleep(DELAY_S)
        else:
            print(f"init: {name} done", flush=True)
            return


def migrate(module: str, *args: str) -> Callable[[], None]:
    def step() -> None:
        subprocess.run([sys.executable, "-m", module, *args], check=True)

    return step


def create_topics() -> None:
    from infra.kafka.topics import ensure_remit_topics
    from services.common.kafka import KafkaSettings

    # REMIT_KAFKA_*: a principal allowed to create topics (the broker's administrator)
    created = asyncio.run(ensure_remit_topics(KafkaSettings()))
    print(f"init: topics created: {created or 'none (all exist)'}", flush=True)


def main() -> None:
    for module, *args in MIGRATIONS:
        retried(f"{module} {' '.join(args)}", migrate(module, *args))
    retried("topics", create_topics)


if __name__ == "__main__":
    main()
