"""Rendered answers, kept by what determines them: the request and the read model's version.

A current answer is a function of the route, its query (``min_position`` aside: it only says
when to answer), the variant (JSON or CSV), and the head (active schema, position, degraded);
an answer at a position already applied does not depend on the position reached since. So a
key holds those, a new position simply stops matching old keys, and a bounded LRU (by bytes)
forgets them. Answers being rendered are shared: requests for a key already in flight wait for
it instead of rendering it again (the first seconds after a position moves).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from starlette.background import BackgroundTask
from starlette.responses import Response


@dataclass(frozen=True)
class Rendered:
    """A 200 answer as bytes, its raw headers included (``ETag`` among them)."""

    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]
    etag: str

    @classmethod
    def of(cls, response: Response, key: Hashable) -> Rendered:
        etag = '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'
        headers = (*response.raw_headers, (b"etag", etag.encode()), (b"vary", b"accept"))
        return cls(bytes(response.body), headers, etag)

    def response(self, if_none_match: str | None = None) -> Response:
        if if_none_match is not None and self.etag in if_none_match:
            kept = tuple(h for h in self.raw_headers if h[0] not in _NOT_ON_304)
            return _Raw(304, b"", (*kept, (b"content-length", b"0")))
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
        self, key: Hashable, render: Callable[[], Awaitable[tuple[Hashable, Response]]]
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
            rendered = Rendered.of(response, real_key)
            self.put(real_key, rendered)
            return rendered
        finally:
            flight.set_result(rendered)
            del self._flights[key]
