"""The replay ceiling: a bare aiokafka consumer reading a topic from the start, doing nothing.

``python -m bench.baselines.bare_consumer BOOTSTRAP TOPIC COUNT`` prints ``{"seconds": s}``;
it logs in as ``REMIT_KAFKA_*`` in the environment say.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aiokafka import AIOKafkaConsumer

from services.common.kafka import client_options, connection


async def main(bootstrap: str, topic: str, count: int) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(connection(bootstrap)),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    began = time.perf_counter()
    seen = 0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()
    print(json.dumps({"seconds": time.perf_counter() - began, "records": seen}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
