"""The knowledge table as this process last committed it, so a batch decodes no stored log.

Resolving an event reads the logs of the streams it names; reading them from PostgreSQL means
sending and decoding every event of every log again, for every batch. The consumer keeps
instead what it read and wrote, decoded, with each log's JSON as stored (so a log that grows is
written as its stored text plus the new events, not encoded again), bounded to the
``max_streams`` used last (least recently used out first; an absent stream counts too).

The cache says what the table holds at one checkpoint position (:attr:`position`). Every writer
of the table (a consumer of the group, in a transaction that locks the checkpoint row) moves
that position, so a batch that locks the checkpoint and finds it where the cache says trusts
the cache; otherwise someone else wrote, and the cache is emptied. It is updated only after a
batch commits, with what that batch read and wrote: a batch rolled back, or redone event by
event, leaves it as it was.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from services.notifier.domain.knowledge import Log


class StoredLog(NamedTuple):
    """A stream's log, decoded, and its JSON array as the ``knowledge`` table holds it."""

    log: Log
    text: str


Stored = StoredLog | None
"""A stream's row, or None: the table has no row for it (nothing known about it yet)."""


def extended(base: Stored, log: Log) -> StoredLog:
    """``log`` with its JSON: ``base``'s text plus the events it gained, when ``log`` extends
    ``base`` (the same event objects first, as :func:`~..domain.knowledge.evolve` makes it);
    otherwise every event encoded."""
    known: Log = base.log if base is not None else ()
    grows = len(log) >= len(known) and all(a is b for a, b in zip(known, log, strict=False))
    if base is None or not base.log or not grows:
        return StoredLog(log, "[" + ", ".join(e.model_dump_json() for e in log) + "]")
    added = [e.model_dump_json() for e in log[len(known) :]]
    if not added:
        return StoredLog(log, base.text)
    return StoredLog(log, base.text[:-1].rstrip() + ", " + ", ".join(added) + "]")


class KnowledgeCache:
    def __init__(self, max_streams: int) -> None:
        self.max_streams = max_streams
        self.position: int | None = None
        """The checkpoint the cached rows are true at; None: nothing is known (start)."""
        self._rows: OrderedDict[str, Stored] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def reset(self, position: int | None) -> None:
        """Forget every row: the table is at ``position``, written by someone else."""
        self._rows.clear()
        self.position = position

    def found(self, streams: Iterable[str]) -> dict[str, Stored]:
        """The cached rows of ``streams`` (those not cached are left out)."""
        out: dict[str, Stored] = {}
        for stream in streams:
            if stream in self._rows:
                self._rows.move_to_end(stream)
                out[stream] = self._rows[stream]
        return out

    def committed(self, rows: Mapping[str, Stored], position: int) -> None:
        """A batch that trusted the cache committed: the table holds ``rows`` (read or written
        by it) and the checkpoint is at ``position``."""
        for stream, row in rows.items():
            self._rows[stream] = row
            self._rows.move_to_end(stream)
        while len(self._rows) > self.max_streams:
            self._rows.popitem(last=False)
        self.position = position
