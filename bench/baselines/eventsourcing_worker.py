"""The same four-command mix on the ``eventsourcing`` library (PostgreSQL), N threads.

``python -m bench.baselines.eventsourcing_worker CONFIG.json OUT.json``. Each operation is one
application command: get the aggregate (replaying its stream), trigger an event, ``save`` (one
transaction). Event bodies are padded to the byte sizes Remit's events had in the same run.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Recommendation(Aggregate):
    @event("Recorded")
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.responded = False
        self.status = "not_started"

    @event("Responded")
    def respond(self, body: dict[str, Any]) -> None:
        self.responded = True

    @event("ProgressRecorded")
    def progress(self, body: dict[str, Any]) -> None:
        if not self.responded:
            raise ValueError("respond first")
        self.status = body["status"]


class Responsibility(Aggregate):
    @event("Assigned")
    def __init__(self, holder: str, body: dict[str, Any]) -> None:
        self.holder = holder

    @event("Transferred")
    def transfer(self, from_id: str, to_id: str, body: dict[str, Any]) -> None:
        if from_id != self.holder:
            raise ValueError("not the holder")
        self.holder = to_id


class Registry(Application[UUID]):
    def record(self, body: dict[str, Any]) -> UUID:
        rec = Recommendation(body)
        self.save(rec)
        return rec.id

    def respond(self, rec_id: UUID, body: dict[str, Any]) -> None:
        rec: Recommendation = self.repository.get(rec_id)
        rec.respond(body)
        self.save(rec)

    def progress(self, rec_id: UUID, body: dict[str, Any]) -> None:
        rec: Recommendation = self.repository.get(rec_id)
        rec.progress(body)
        self.save(rec)

    def assign(self, holder: str) -> UUID:
        resp = Responsibility(holder, {"description": "x" * 120})
        self.save(resp)
        return resp.id

    def transfer(self, resp_id: UUID, to_id: str, body: dict[str, Any]) -> None:
        resp: Responsibility = self.repository.get(resp_id)
        resp.transfer(resp.holder, to_id, body)
        self.save(resp)


def body(size: int, **extra: Any) -> dict[str, Any]:
    """A body whose JSON (plus the library's own fields, ~70 bytes) is about ``size`` bytes."""
    pad = max(0, size - 70 - len(json.dumps(extra)))
    return {**extra, "text": "x" * pad}


def main(config_path: str, out_path: str) -> None:
    cfg = json.loads(open(config_path).read())
    clients = cfg["clients"]
    os.environ.update(
        PERSISTENCE_MODULE="eventsourcing.postgres",
        POSTGRES_DBNAME=cfg["dbname"],
        POSTGRES_HOST="127.0.0.1",
        POSTGRES_PORT=str(cfg["port"]),
        POSTGRES_USER="postgres",
        POSTGRES_PASSWORD="",
        POSTGRES_POOL_SIZE=str(clients),
        POSTGRES_MAX_OVERFLOW="0",
        CREATE_TABLE="y",
    )
    app = Registry()
    sizes = cfg["sizes"]
    orgs = [f"bench-org-{i}" for i in range(12)]
    resps = [[app.assign(orgs[c % 12]) for _ in range(4)] for c in range(clients)]
    begin = time.perf_counter()
    measure_from = begin + cfg["warmup_s"]
    end = measure_from + cfg["duration_s"]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []

    def lane(c: int) -> None:
        k, rec = 0, UUID(int=0)
        while (now := time.perf_counter()) < end:
            n, op = divmod(k, 4)
            try:
                if op == 0:
                    rec = app.record(body(sizes["record"], number=str(n)))
                elif op == 1:
                    app.respond(rec, body(sizes["respond"], response="implement_in_full"))
                elif op == 2:
                    app.progress(rec, body(sizes["progress"], status="in_progress"))
                else:
                    app.transfer(resps[c][n % 4], orgs[(c + n + 1) % 12], body(sizes["transfer"]))
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                done = time.perf_counter()
                if measure_from <= now and done < end:
                    latencies[c].append(done - now)
            k += 1

    threads = [threading.Thread(target=lane, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [x for per in latencies for x in per]
    with open(out_path, "w") as out:
        json.dump({"latencies": flat, "errors": errors[:20], "error_count": len(errors)}, out)
    app.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
