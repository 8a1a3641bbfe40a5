"""Bulk loading into a fresh data schema (the rebuild): PostgreSQL ``COPY`` through asyncpg.

The rows are the ones :mod:`store` writes row by row (:func:`store.doc_row`,
:func:`store.event_row`), so a rebuilt model is the same, byte for byte, as a live one.
``COPY`` needs tables nobody else writes and rows not there yet: the rebuild's new schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.projections.adapters.schema import DOC_COLUMNS
from services.projections.adapters.store import EVENT_COLUMNS, doc_row
from services.projections.domain.model import Doc


async def copy_events(db: Any, schema: str, rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` (:func:`store.event_row`; none of them stored yet) to ``<schema>.events``
    on ``db``, an asyncpg connection (:mod:`.driver`)."""
    if not rows:
        return
    await db.copy_records_to_table(
        "events", schema_name=schema, columns=list(EVENT_COLUMNS), records=rows
    )


async def copy_documents(db: Any, schema: str, kind: str, docs: Iterable[Doc]) -> None:
    """Insert ``docs`` (none of them stored yet) into ``<schema>.<kind>``, in id order.

    Rows are made as asyncpg sends them (a generator), not all at once: the documents' JSON
    would otherwise sit in memory next to the documents (hundreds of MiB for 1M events).
    """
    ordered = sorted(docs, key=lambda d: d.id)
    if not ordered:
        return
    columns = ("id", "version", "last_position", "doc", *DOC_COLUMNS[kind])
    rows = (doc_row(kind, doc) for doc in ordered)
    await db.copy_records_to_table(
        kind,
        schema_name=schema,
        columns=list(columns),
        records=(tuple(row[c] for c in columns) for row in rows),
    )
