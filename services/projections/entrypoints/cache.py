"""Rendered answers, kept by what determines them: the request and the read model's version.

A current answer is a function of the route, its query (``min_position`` aside: it only says
when to answer), the variant (JSON or CSV), and the head (active schema, position, degraded);
an answer at a position already applied does not depend on the position reached since. So a
key holds those, a new position simply stops matching old keys, and a bounded LRU (by bytes)
forgets them. Answers being rendered are shared: requests for a key already in flight wait for
it instead of rendering it again (the first seconds after a position moves).

:class:`ServeCachedAnswers` answers a kept request before FastAPI routes it (no routing,
dependencies, validation: a kept key was validated when its answer was rendered); anything
else, including a wait the head does not satisfy yet, goes on to the routes.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.positions import MAX_POSITION
from services.projections.service_layer.ports import Head
from services.projections.service_layer.queries import Reader

WAITS = ("min_position", "at_position")
"""Query parameters that make a request wait; ``min_position`` plays no part in the answer."""


def wants_csv(accept: str, format_: str | None = None) -> bool:
    """CSV if ``?format=csv``; JSON if ``?format=json``; else as ``Accept`` prefers."""
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in accept and "application/json" not in accept


def answer_key(path: str, query: Iterable[tuple[str, str]], accept: str, head: Head) -> Hashable:
    """What an answer depends on: the request and the head. No answer is settled for good, not
    even one at a position already applied: a later correction applies at every position, and a
    later dated fact narrows the valid time of what it depends on."""
    kept = tuple(sorted(kv for kv in query if kv[0] != "min_position"))
    format_ = next((v for k, v in kept if k == "format"), None)
    as_csv = wants_csv(accept, format_)
    return (path, kept, as_csv, head.schema, head.degraded, head.position)


@dataclass(frozen=True)
class Rendered:
    """A 200 answer as bytes, its raw headers included (``ETag`` among them)."""

    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]
    etag: str
    route: Any = None  # the route that rendered it, for the latency metric's label

    @classmethod
    def of(cls, response: Response, key: Hashable, route: Any = None) -> Rendered:
        etag = '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'
        headers = (*response.raw_headers, (b"etag", etag.encode()), (b"vary", b"accept"))
        return cls(bytes(response.body), headers, etag, route)

    def response(self, if_none_match: str | None = None) -> Response:
        if if_none_match is not None and self.etag in if_none_match:
            # No Content-Length: on a 304 it would have to be the 200's, with no body to match.
            return _Raw(304, b"", tuple(h for h in self.raw_headers if h[0] not in _NOT_ON_304))
        return _Raw(200, self.body, self.raw_headers)


_NOT_ON_304 = {b"content-length", b"content-type"}


class _Raw(Response):
    """A response from bytes and headers as they go on the wire (no re-encoding)."""

    def __init__(
        self, status: int, body: bytes, raw_headers: tuple[tuple[bytes, bytes], ...]
    ) -> None:
        self.status_code, self.body = status, body
        self.raw_headers = list(raw_headers)
        self.background: BackgroundTask | None = None


class AnswerCache:
    def __init__(self, max_bytes: int = 64 << 20, max_entry_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // 8 if max_entry_bytes is None else max_entry_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._flights: dict[Hashable, asyncio.Future[Rendered | None]] = {}

    def get(self, key: Hashable) -> Rendered | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, rendered: Rendered) -> None:
        size = len(rendered.body)
        if size > self.max_entry_bytes or key in self._entries:
            return
        self._entries[key] = rendered
        self.size += size
        while self.size > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.size -= len(old.body)

    async def get_or_render(
        self,
        key: Hashable,
        render: Callable[[], Awaitable[tuple[Hashable, Response]]],
        route: Any = None,
    ) -> Rendered | Response:
        """The answer for ``key``: kept, being rendered by another request, or rendered now.

        ``render`` returns the key its answer really has (the head may have moved since ``key``
        was made) and the response; a 200 is kept under that key, anything else (an exception
        included) is not, and the waiters then render their own.
        """
        if (found := self.get(key)) is not None:
            self.hits += 1
            return found
        if (flight := self._flights.get(key)) is not None:
            shared = await asyncio.shield(flight)
            if shared is not None:
                self.hits += 1
                return shared
            return (await render())[1]
        self.misses += 1
        flight = self._flights[key] = asyncio.get_running_loop().create_future()
        rendered: Rendered | None = None
        try:
            real_key, response = await render()
            if response.status_code != 200:
                return response
            rendered = Rendered.of(response, real_key, route)
            self.put(real_key, rendered)
            return rendered
        finally:
            flight.set_result(rendered)
            del self._flights[key]


def _position(raw: str) -> int | None:
    """A wait as the routes accept it (plain digits, 1 to MAX_POSITION), else None."""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_POSITION:
        return None
    return int(raw)


HEAD_SCOPE_KEY = "remit.head"
"""Where :class:`ServeCachedAnswers` leaves the head it read for the route (a read made after the
request arrived, so the route need not read another)."""


class ServeCachedAnswers:
    """ASGI middleware: GETs under ``prefixes`` whose answer is kept are answered here."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app, self.prefixes = app, prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefixes)
        ):
            return await self.app(scope, receive, send)
        found = await self._kept(scope)
        if found is None:
            return await self.app(scope, receive, send)
        rendered, headers = found
        if rendered.route is not None:
            scope["route"] = rendered.route
        await rendered.response(headers.get("if-none-match"))(scope, receive, send)

    async def _kept(self, scope: Scope) -> tuple[Rendered, Headers] | None:
        state = scope["app"].state
        reader: Reader | None = getattr(state, "reader", None)
        answers: AnswerCache | None = getattr(state, "answers", None)
        if reader is None or answers is None:
            return None
        query = QueryParams(scope["query_string"])
        waits = {name: _position(query[name]) for name in WAITS if name in query}
        if None in waits.values():
            return None  # the route validates (422)
        try:
            head = await reader.head()
        except Exception:  # no database: the route answers as it would
            return None
        scope.setdefault("state", {})[HEAD_SCOPE_KEY] = head
        if head.position < max((w or 0 for w in waits.values()), default=0):
            return None  # the route waits
        headers = Headers(scope=scope)
        key = answer_key(scope["path"], query.multi_items(), headers.get("accept", ""), head)
        rendered = answers.get(key)
        if rendered is None:
            return None
        answers.hits += 1
        return rendered, headers
