"""A minimal HTTP/1.1 client over asyncio streams, for the load generators.

httpx costs about 2 ms of CPU per request, so on a 2-core machine the generator, not the
service, set the ceiling (the /healthz baseline reached ~150 of 500 requests/s). This client
keeps ``connections`` keep-alive connections, writes one request line, reads the status, the
headers and a ``Content-Length`` (or chunked) body, and does nothing else: no redirects, no
cookies, no TLS.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class RawHttp:
    """``await get(path)`` / ``await post(path, body)`` return ``(status, body)``; connections
    are opened lazily, reused, and dropped on any error or ``Connection: close``. A reused
    connection the server closed while idle (uvicorn's keep-alive timeout) is retried once on a
    fresh one, like browsers do.
    """

    def __init__(self, base_url: str, connections: int, timeout_s: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"RawHttp speaks plain http only, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout_s = timeout_s
        self._host_header = f"{self.host}:{self.port}".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(connections)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return await self.request(b"GET", path, None, headers)

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        return await self.request(b"POST", path, body, headers)

    async def request(
        self, method: bytes, path: str, payload: bytes | None, headers: dict[str, str] | None
    ) -> tuple[int, bytes]:
        """A retried POST (stale keep-alive connection) is safe: the generators send an
        Idempotency-Key with every command."""
        async with self._slots:
            while True:
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._open()
                try:
                    status, body, keep = await asyncio.wait_for(
                        self._exchange(conn, method, path, payload, headers), self.timeout_s
                    )
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    conn[1].close()
                    if reused and not getattr(exc, "partial", b""):
                        continue  # the server closed an idle keep-alive connection: retry
                    raise
                except BaseException:
                    conn[1].close()
                    raise
                if keep:
                    self._idle.append(conn)
                else:
                    conn[1].close()
                return status, body

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def _exchange(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        method: bytes,
        path: str,
        payload: bytes | None,
        headers: dict[str, str] | None,
    ) -> tuple[int, bytes, bool]:
        reader, writer = conn
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
        if payload is not None:
            extra += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(payload)
        writer.write(
            method + b" " + path.encode() + b" HTTP/1.1\r\nHost: " + self._host_header + b"\r\n"
            b"Accept: */*\r\n" + extra + b"\r\n" + (payload or b"")
        )
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            body = await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = await _chunked(reader)
        elif status in (204, 304) or status < 200:
            body = b""
        else:  # no length: the body runs to the end of the connection
            return status, await reader.read(), False
        return status, body, fields.get("connection", "").lower() != "close"

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected: the closing empty line
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
