"""Write the published contract files from the event classes: ``python -m schemas.generate``.

* ``schemas/json/<Type>.v<N>.json``: JSON Schema (2020-12) of each event type's current version,
  plus ``schemas/json/index.json``;
* ``schemas/asyncapi.yaml``: AsyncAPI 3.0.0 description of the Kafka topics, with one message per
  event type whose example is ``schemas/samples/<Type>.v<N>.json``.

The schemas are generated in *serialization* mode with every field required: they describe the
bytes the registry writes (``model_dump(mode="json")`` always writes every field, ``null``
included), which is what a consumer in any language needs. Anything valid against them is also
accepted by the (more lenient, defaults-filling) pydantic decoder.

``--check`` writes nothing and exits 1 listing the files that are stale. Output is deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from schemas import wire
from schemas.catalogue import CURRENT_VERSIONS, EVENT_TYPES
from schemas.envelope import DomainEvent
from schemas.streams import template
from schemas.upcasting import decode

ROOT = Path(__file__).resolve().parent
JSON_DIR = ROOT / "json"
SAMPLES_DIR = ROOT / "samples"
ASYNCAPI_PATH = ROOT / "asyncapi.yaml"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING = "0.5.0"
SAMPLE_POSITION = 42
Schema = dict[str, Any]


class WireSchema(GenerateJsonSchema):
    """Serialization-mode JSON Schema in which every field is required."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        return self.mode == "serialization" or super().field_is_required(field, total)


_ORGANISATION = template("organisations")
_RECOMMENDATION = template("recommendations")
STREAMS: dict[str, str] = {
    "OrganisationRegistered": _ORGANISATION,
    "OrganisationRenamed": _ORGANISATION,
    "OrganisationMerged": _ORGANISATION,
    "OrganisationDissolved": _ORGANISATION,
    "AccountabilityAssigned": _ORGANISATION,
    "ReviewPublished": template("reviews"),
    "RecommendationRecorded": _RECOMMENDATION,
    "RecommendationAccepted": _RECOMMENDATION,
    "RecommendationAdapted": _RECOMMENDATION,
    "RecommendationDeferred": _RECOMMENDATION,
    "RecommendationRejected": _RECOMMENDATION,
    "ImplementationProgressRecorded": f"{_RECOMMENDATION} or {template('actions')}",
    "ResponsibilityAssigned": template("responsibilities"),
    "ResponsibilityTransferred": template("responsibilities"),
    "ActionCommitted": template("actions"),
    "ActionTransferred": template("actions"),
    "ChangeTookEffect": "the stream of the announced change",
    "ChangeWithdrawn": "the stream of the announced change",
    "RecordsCorrected": "the stream of the events it corrects",
}
"""The stream each event type is appended to (a new event type must be added here)."""


def stream_of(name: str) -> str:
    return STREAMS[name]


def summary_of(cls: type[DomainEvent]) -> str:
    return (cls.__doc__ or cls.__name__).strip().splitlines()[0]


def schema_id(name: str, version: int) -> str:
    return f"urn:remit:schema:{name}:v{version}"


def event_schema(name: str) -> Schema:
    version = CURRENT_VERSIONS[name]
    body = EVENT_TYPES[name].model_json_schema(mode="serialization", schema_generator=WireSchema)
    return {"$schema": DIALECT, "$id": schema_id(name, version), **body, "title": name}


def json_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    index: list[Schema] = []
    for name in sorted(EVENT_TYPES):
        version = CURRENT_VERSIONS[name]
        filename = f"{name}.v{version}.json"
        files[JSON_DIR / filename] = dump_json(event_schema(name))
        index.append(
            {
                "$id": schema_id(name, version),
                "ce_type": f"remit.{name}.v{version}",
                "file": filename,
                "stream": stream_of(name),
                "summary": summary_of(EVENT_TYPES[name]),
                "type": name,
                "version": version,
            }
        )
    files[JSON_DIR / "index.json"] = dump_json({"events": index, "topic": wire.EVENTS_TOPIC})
    return files


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_sample(name: str, version: int) -> Schema:
    data: Schema = json.loads((SAMPLES_DIR / f"{name}.v{version}.json").read_text("utf-8"))
    return data


# --- AsyncAPI --------------------------------------------------------------------------------


def hoist_defs(name: str, schema: Schema, shared: dict[str, Schema]) -> Schema:
    """Move ``$defs`` into ``components.schemas`` and point the refs there. A def that is an
    event (the events a correction carries) points to that event's own payload schema."""
    body = {k: v for k, v in schema.items() if k not in ("$defs", "$id", "$schema")}
    for def_name, definition in schema.get("$defs", {}).items():
        if def_name in EVENT_TYPES:
            continue
        moved = _repoint(definition)
        if shared.setdefault(def_name, moved) != moved:
            raise ValueError(f"{name}: $defs/{def_name} differs from another event's")
    return _repoint(body)


def _repoint(node: Schema) -> Schema:
    text = json.dumps(node)
    for event in EVENT_TYPES:
        text = text.replace(
            f'"#/$defs/{event}"', f'"#/components/schemas/{event}.v{CURRENT_VERSIONS[event]}"'
        )
    repointed = json.loads(text.replace('"#/$defs/', '"#/components/schemas/'))
    out: Schema = _string_discriminators(repointed)
    return out


def _string_discriminators(node: Any) -> Any:
    """AsyncAPI's schema format names the discriminator by its property alone (a string), where
    pydantic writes OpenAPI's object with a mapping; the ``oneOf`` beside it keeps the choices."""
    if isinstance(node, list):
        return [_string_discriminators(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _string_discriminators(value) for key, value in node.items()}
    if isinstance(out.get("discriminator"), dict):
        out["discriminator"] = out["discriminator"]["propertyName"]
    return out


def ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(parts)}


def string(description: str, **extra: Any) -> Schema:
    return {"type": "string", "description": description, **extra}


def cloudevents_headers() -> Schema:
    identifier = ref("components", "schemas", "StreamId")
    return {
        "type": "object",
        "description": "CloudEvents 1.0 Kafka protocol binding, binary content mode. Header "
        "values are UTF-8 strings.",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_subject",
            "content-type",
            "ce_position",
            "ce_streamversion",
            "ce_correlationid",
            "ce_partitionkey",
        ],  # fmt: skip
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": string("The payload's event_id.", format="uuid"),
            "ce_source": {"type": "string", "const": wire.CE_SOURCE},
            "ce_type": string(
                "remit.<type>.v<schema_version> of the payload.",
                pattern=r"^remit\.[A-Za-z]+\.v[1-9][0-9]*$",
            ),
            "ce_time": string("The payload's recorded_at (RFC 3339).", format="date-time"),
            "ce_subject": {**identifier, "description": "The payload's stream_id."},
            "content-type": {"type": "string", "const": wire.CONTENT_TYPE},
            "ce_position": string(
                "Extension: global position the event store gave the event (decimal).",
                pattern="^[1-9][0-9]*$",
            ),
            "ce_streamversion": string(
                "Extension: the payload's stream_version (decimal).", pattern="^[1-9][0-9]*$"
            ),
            "ce_correlationid": string("Extension: the payload's correlation_id."),
            "ce_causationid": string("Extension: the payload's causation_id, when it has one."),
            "ce_partitionkey": {**identifier, "description": "Extension: equals the record key."},
        },
    }


def dead_letter_headers() -> Schema:
    decimal = {"pattern": "^(0|[1-9][0-9]*)$"}
    return {
        "type": "object",
        "description": "The original record's headers, unchanged (any ce_* may be missing or "
        "malformed: that may be why it is here), plus the dlq_* headers.",
        "required": list(wire.DLQ_HEADERS),
        "properties": {
            wire.DLQ_HEADER_REASON: string("Why the consumer could not process the record."),
            wire.DLQ_HEADER_SOURCE_TOPIC: string("Topic the record was read from."),
            wire.DLQ_HEADER_SOURCE_PARTITION: string("Its partition (decimal).", **decimal),
            wire.DLQ_HEADER_SOURCE_OFFSET: string("Its offset (decimal).", **decimal),
            wire.DLQ_HEADER_CONSUMER: string("Consumer group id of the consumer that gave up."),
        },
        "additionalProperties": True,
    }


def kafka_key(key: Schema) -> Schema:
    return {"kafka": {"bindingVersion": KAFKA_BINDING, "key": key}}


def event_message(name: str) -> Schema:
    version = CURRENT_VERSIONS[name]
    sample = load_sample(name, version)
    event = decode(sample)
    record = wire.encode(event, SAMPLE_POSITION)
    this_type = {"type": "object", "properties": {"ce_type": {"const": wire.ce_type(event)}}}
    key = {**stream_id_schema(), "description": "The stream id (= ce_subject = stream_id)."}
    return {
        "name": name,
        "title": f"{name} v{version}",
        "summary": summary_of(EVENT_TYPES[name]),
        "description": f"Stream `{stream_of(name)}`; CloudEvents type `{wire.ce_type(event)}`.",
        "contentType": wire.CONTENT_TYPE,
        "headers": {"allOf": [ref("components", "schemas", "CloudEventHeaders"), this_type]},
        "payload": ref("components", "schemas", f"{name}.v{version}"),
        "correlationId": ref("components", "correlationIds", "correlation"),
        "bindings": kafka_key(key),
        "examples": [
            {
                "name": "smith-review",
                "summary": f"Sample {name}.v{version} at position {SAMPLE_POSITION}",
                "headers": {k: v.decode("utf-8") for k, v in sorted(record.headers)},
                "payload": sample,
            }
        ],
    }


def dead_letter_message() -> Schema:
    return {
        "name": "DeadLetter",
        "title": "Dead-lettered record",
        "summary": "A record of remit.events that a consumer could not process.",
        "description": "Key, value and headers of the original record are copied unchanged "
        "(the value is not necessarily JSON); the dlq_* headers say where it came from and why.",
        "contentType": "application/octet-stream",
        "headers": ref("components", "schemas", "DeadLetterHeaders"),
        "payload": {"description": "The original record value, byte for byte."},
        "bindings": kafka_key({"type": "string", "description": "The original key, unchanged."}),
    }


def topic(address: str, title: str, description: str, message_names: list[str]) -> Schema:
    return {
        "address": address,
        "title": title,
        "description": description,
        "messages": {n: ref("components", "messages", n) for n in message_names},
        "bindings": {
            "kafka": {
                "bindingVersion": KAFKA_BINDING,
                "topic": address,
                "partitions": 1,
                "replicas": 1,
                "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": -1},
            }
        },
    }


def operation(action: str, channel: str, description: str, names: list[str]) -> Schema:
    return {
        "action": action,
        "channel": ref("channels", channel),
        "description": description,
        "messages": [ref("channels", channel, "messages", n) for n in names],
    }


def asyncapi_document() -> Schema:
    names = sorted(EVENT_TYPES)
    schemas: dict[str, Schema] = {}
    payloads = {
        f"{n}.v{CURRENT_VERSIONS[n]}": hoist_defs(n, event_schema(n), schemas) for n in names
    }
    schemas.update(payloads)
    schemas["StreamId"] = stream_id_schema()
    schemas["CloudEventHeaders"] = cloudevents_headers()
    schemas["DeadLetterHeaders"] = dead_letter_headers()
    messages = {n: event_message(n) for n in names}
    messages["DeadLetter"] = dead_letter_message()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Remit events",
            "version": "1.0.0",
            "description": "Events of the Remit register of review recommendations, government "
            "responses and national bodies' responsibilities. The registry appends them to its "
            "event store and publishes each, in global-position order, to remit.events. See "
            "schemas/README.md for the catalogue and the versioning policy.",
        },
        "defaultContentType": wire.CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:{port}",
                "protocol": "kafka",
                "description": "Single-node development broker (`python -m infra`); clients "
                "read its address from REMIT_KAFKA_BOOTSTRAP.",
                "variables": {"port": {"default": "59092", "description": "REMIT_KAFKA_PORT"}},
                "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
            }
        },
        "channels": {
            "events": topic(
                wire.EVENTS_TOPIC,
                "Remit events",
                "Every event, once, in global-position order (one partition, kept forever): "
                "consumers can rebuild any read model from offset 0.",
                names,
            ),
            "deadLetters": topic(
                wire.DEAD_LETTER_TOPIC,
                "Dead letters",
                "Records of remit.events that a consumer could not decode, with the reason.",
                ["DeadLetter"],
            ),
        },
        "operations": {
            "registryPublishesEvents": operation(
                "send", "events", "The registry publishes each committed event.", names
            ),
            "projectionsReceiveEvents": operation(
                "receive", "events", "Projections fold events into read models.", names
            ),
            "notifierReceivesEvents": operation(
                "receive", "events", "The notifier turns events into notifications.", names
            ),
            "consumersDeadLetterRecords": operation(
                "send",
                "deadLetters",
                "Projections and notifier dead-letter records they cannot decode, then move on.",
                ["DeadLetter"],
            ),
        },
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "correlationIds": {
                "correlation": {
                    "description": "Shared by the events one command produced.",
                    "location": "$message.header#/ce_correlationid",
                }
            },
        },
    }


def stream_id_schema() -> Schema:
    """The JSON Schema of a stream id, taken from the envelope so that it cannot drift."""
    prop: Schema = DomainEvent.model_json_schema()["properties"]["stream_id"]
    return {k: v for k, v in prop.items() if k != "title"}


def asyncapi_file() -> str:
    header = "# Generated by `python -m schemas.generate`; do not edit.\n"
    body = yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)
    return header + body


# --- files -----------------------------------------------------------------------------------


def expected_files() -> dict[Path, str]:
    return {**json_files(), ASYNCAPI_PATH: asyncapi_file()}


def plan() -> tuple[dict[Path, str], list[Path], list[Path]]:
    """What the generator would write; which of those files differ; which files are extra."""
    expected = expected_files()
    changed = [p for p, text in expected.items() if not p.exists() or p.read_text("utf-8") != text]
    extra = [p for p in sorted(JSON_DIR.glob("*.json")) if p not in expected]
    return expected, changed, extra


def stale_files() -> list[Path]:
    """Files that differ from what the generator would write, or should not be there."""
    _, changed, extra = plan()
    return changed + extra


def write_all() -> list[Path]:
    JSON_DIR.mkdir(exist_ok=True)
    expected, changed, extra = plan()
    for path in extra:
        path.unlink()
    for path in changed:
        path.write_text(expected[path], "utf-8")
    return changed + extra


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT.parent)) if path.is_relative_to(ROOT.parent) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    args = parser.parse_args(argv)
    if not args.check:
        for path in write_all():
            print(f"wrote {shown(path)}")
        return 0
    stale = stale_files()
    for path in stale:
        print(f"stale: {shown(path)}", file=sys.stderr)
    if stale:
        print("run `python -m schemas.generate` and commit the result", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
