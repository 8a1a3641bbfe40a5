"""Kept answers and shared head reads: what is reused, what is not (no I/O)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Hashable

import pytest
from starlette.requests import Request
from starlette.responses import Response

from services.projections.domain.fold import replay
from services.projections.entrypoints.cache import AnswerCache, Rendered
from services.projections.entrypoints.responses import key
from services.projections.service_layer.ports import Head
from services.projections.service_layer.queries import Reader
from tests.unit.projections.fakes import FakeReadStore


def _request(path: str, query: str = "", accept: str = "*/*") -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"accept", accept.encode())],
    }
    return Request(scope)


def _response(body: bytes) -> Response:
    return Response(body, media_type="application/json", headers={"Remit-Position": "7"})


def test_the_key_ignores_min_position_and_separates_variants() -> None:
    def at(path: str, query: str = "", accept: str = "*/*") -> Hashable:
        return key(_request(path, query, accept), Head("s_v1", 7, False))

    assert at("/v1/organisations/a", "min_position=3") == at("/v1/organisations/a")
    assert at("/v1/organisations/a", "b=1&a=2") == at("/v1/organisations/a", "a=2&b=1")
    assert at("/v1/organisations/a", accept="text/csv") != at("/v1/organisations/a")
    assert at("/v1/organisations/a") != at("/v1/organisations/b")


def test_a_current_answer_depends_on_the_head() -> None:
    request = _request("/v1/reviews/r/summary")
    base = key(request, Head("s_v1", 7, False))
    assert base != key(request, Head("s_v1", 8, False))
    assert base != key(request, Head("s_v2", 7, False))
    assert base != key(request, Head("s_v1", 7, True))


def test_no_answer_is_settled_for_good_not_even_at_an_applied_position() -> None:
    """A later correction applies at every position; a later dated fact narrows valid time."""
    at_five = _request("/v1/organisations/a", "at_position=5")
    first = key(at_five, Head("s", 7, False))
    assert first != key(at_five, Head("s", 900, False))
    by_date = _request("/v1/organisations/a", "as_of=2020-01-01")
    assert key(by_date, Head("s", 7, False)) != key(by_date, Head("s", 8, False))


def test_the_cache_forgets_the_least_recently_used_beyond_its_size() -> None:
    cache = AnswerCache(max_bytes=800, max_entry_bytes=400)
    for name in ("a", "b", "c"):
        cache.put(name, Rendered.of(_response(b"x" * 300), name))
    assert cache.get("a") is None and cache.get("b") is not None and cache.get("c") is not None
    cache.get("b")
    cache.put("d", Rendered.of(_response(b"x" * 300), "d"))
    assert cache.get("b") is not None and cache.get("c") is None
    cache.put("huge", Rendered.of(_response(b"x" * 401), "huge"))  # over the entry size
    assert cache.get("huge") is None


async def test_concurrent_requests_for_one_key_render_it_once() -> None:
    cache = AnswerCache()
    renders = 0
    release = asyncio.Event()

    async def render() -> tuple[Hashable, Response]:
        nonlocal renders
        renders += 1
        await release.wait()
        return "k", _response(b'{"a":1}')

    waiting = [asyncio.create_task(cache.get_or_render("k", render)) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(*waiting)
    assert renders == 1
    assert all(isinstance(a, Rendered) and a.body == b'{"a":1}' for a in answers)
    assert isinstance(await cache.get_or_render("k", render), Rendered) and renders == 1


async def test_a_failed_render_is_not_kept_and_waiters_render_their_own() -> None:
    cache, release, attempts = AnswerCache(), asyncio.Event(), itertools.count(1)

    async def render() -> tuple[Hashable, Response]:
        if next(attempts) == 1:
            await release.wait()
            raise LookupError("not found")
        return "k", _response(b"{}")

    first = asyncio.create_task(cache.get_or_render("k", render))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get_or_render("k", render))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(LookupError):
        await first
    assert (await second).body == b"{}" and next(attempts) == 3  # rendered twice


def test_a_matching_etag_gets_a_304_without_a_body() -> None:
    rendered = Rendered.of(_response(b'{"a":1}'), "k")
    fresh = rendered.response(None)
    assert fresh.status_code == 200 and fresh.body == b'{"a":1}'
    assert dict(fresh.raw_headers)[b"etag"].decode() == rendered.etag
    same = rendered.response(rendered.etag)
    assert same.status_code == 304 and same.body == b""
    assert dict(same.raw_headers)[b"remit-position"] == b"7"
    assert b"content-length" not in dict(same.raw_headers)
    assert rendered.response('"other"').status_code == 200
    assert Rendered.of(_response(b"{}"), "other").etag != rendered.etag


class _CountingHeads(FakeReadStore):
    """Each head read waits for the gate and reports how many reads there were."""

    def __init__(self) -> None:
        super().__init__(replay([]))
        self.reads = 0
        self.gate = asyncio.Event()

    async def head(self) -> Head:
        self.reads += 1
        n = self.reads
        await self.gate.wait()
        return Head("s_v1", n, False)


async def test_callers_share_head_reads_that_start_after_they_arrive() -> None:
    heads = _CountingHeads()
    model = Reader(heads, max_wait_s=0, poll_s=0.01)
    early = [asyncio.create_task(model.head()) for _ in range(10)]
    await asyncio.sleep(0)  # the first read is in flight
    late = [asyncio.create_task(model.head()) for _ in range(10)]
    await asyncio.sleep(0)
    heads.gate.set()
    assert {h.position for h in await asyncio.gather(*early)} == {1}
    assert {h.position for h in await asyncio.gather(*late)} == {2}  # not the read before them
    assert heads.reads == 2
    assert (await model.head()).position == 3
