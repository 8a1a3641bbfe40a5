"""The consumer's cache of stored knowledge logs: their JSON as stored, and its bound."""

from __future__ import annotations

import json

from services.notifier.adapters.knowledge_cache import KnowledgeCache, StoredLog, extended
from services.notifier.domain.knowledge import Log, fold
from tests.support.smith import smith_events

EVENTS = [pe.event for pe in smith_events()]


def _as_stored(text: str) -> object:
    return json.loads(text)


def _dumped(log: Log) -> object:
    return [json.loads(e.model_dump_json()) for e in log]


def test_a_grown_log_is_its_stored_text_and_the_new_events() -> None:
    known = fold(EVENTS)
    stream, log = max(known.logs.items(), key=lambda item: len(item[1]))
    assert len(log) >= 3
    stored_text = json.dumps(_dumped(log[:2]))  # as PostgreSQL gives it back, spaced its way
    grown = extended(StoredLog(log[:2], stored_text), log)
    assert grown.log == log and _as_stored(grown.text) == _dumped(log)
    assert extended(grown, log).text == grown.text  # nothing new: the same text


def test_a_log_that_does_not_extend_what_is_stored_is_encoded_whole() -> None:
    log = tuple(EVENTS[:3])
    other = tuple(EVENTS[3:5])
    rewritten = extended(StoredLog(other, json.dumps(_dumped(other))), log)
    assert _as_stored(rewritten.text) == _dumped(log)
    assert _as_stored(extended(None, log).text) == _dumped(log)


def test_the_cache_keeps_the_streams_used_last_and_forgets_on_reset() -> None:
    cache = KnowledgeCache(max_streams=2)
    cache.committed({"a": None, "b": None}, position=5)
    cache.found(["a"])  # a is used: b goes first
    cache.committed({"c": None}, position=6)
    assert set(cache.found(["a", "b", "c"])) == {"a", "c"} and cache.position == 6
    cache.reset(9)
    assert cache.found(["a", "c"]) == {} and cache.position == 9


def test_a_stream_known_to_have_no_row_is_cached_apart_from_one_not_cached() -> None:
    cache = KnowledgeCache(max_streams=10)
    cache.committed({"absent": None}, position=1)
    assert cache.found(["absent", "never-read"]) == {"absent": None}


def test_a_cache_of_no_streams_keeps_only_the_position() -> None:
    cache = KnowledgeCache(max_streams=0)
    log = tuple(EVENTS[:1])
    cache.committed({"a": extended(None, log)}, position=3)
    assert len(cache) == 0 and cache.found(["a"]) == {} and cache.position == 3
