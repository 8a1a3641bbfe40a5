"""``remit events tail``: follow remit.events with a throwaway consumer (no group, no commits)."""

from __future__ import annotations

import json

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from schemas.wire import UndecodableRecord, decode_record
from services.cli.output import fail
from services.common.kafka import KafkaSettings, client_options

_SUMMARY_FIELDS = (
    "organisation_id",
    "recommendation_id",
    "responsibility_id",
    "action_id",
    "review_id",
)


def describe(event_json: dict[str, object]) -> str:
    subject = next((str(event_json[f]) for f in _SUMMARY_FIELDS if event_json.get(f)), "")
    return subject


async def tail(
    kafka: KafkaSettings, topic: str, from_beginning: bool, limit: int, as_json: bool
) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(kafka),
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    seen = 0
    try:
        await consumer.start()
        async for record in consumer:
            try:
                positioned = decode_record(record.key, record.value, record.headers)
            except UndecodableRecord as exc:
                typer.echo(f"offset {record.offset}: undecodable ({exc})", err=True)
                continue
            event = positioned.event.model_dump(mode="json")
            if as_json:
                typer.echo(json.dumps({"position": positioned.position, "event": event}))
            else:
                typer.echo(
                    f"{positioned.position:>8}  {event['recorded_at']}  {event['type']:<32} "
                    f"{event['stream_id']}@{event['stream_version']}  {describe(event)}"
                )
            seen += 1
            if limit and seen >= limit:
                return
    except KafkaError as exc:  # not reachable, not authenticated, not authorised
        fail(f"kafka: {type(exc).__name__}: {exc}")
    finally:
        await consumer.stop()
