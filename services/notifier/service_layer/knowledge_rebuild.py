"""Knowledge rebuilt from the events topic, when an upgrade changed what it is made of.

The logs are folded from the topic's beginning through the position the consumer had reached
(no alert is made: those events were alerted on already), then stored in one transaction, and
the consumer goes on from its checkpoint as before.
"""

from __future__ import annotations

import structlog

from schemas.wire import UndecodableRecord, decode_record_fast
from services.common.replay import ReplaySource
from services.notifier.domain.knowledge import Knowledge, evolve
from services.notifier.service_layer.ports import IngestStore

log = structlog.get_logger(__name__)


async def rebuild_knowledge(store: IngestStore, source: ReplaySource) -> int | None:
    """Rebuild if a rebuild is due; the position it went through, or None."""
    through = await store.knowledge_to_rebuild()
    if through is None:
        return None
    known, folded = Knowledge(), 0
    async for records in source.until_end():
        for record in records:
            try:
                positioned = decode_record_fast(record.key, record.value, record.headers)
            except UndecodableRecord:
                continue  # dead-lettered when it was consumed
            if positioned.position <= through:
                known.merge(evolve(known, positioned.event))
                folded += 1
    await store.replace_knowledge(known)
    log.info("knowledge_rebuilt", through=through, events=folded, streams=len(known.logs))
    return through
