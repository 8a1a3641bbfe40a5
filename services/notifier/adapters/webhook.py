"""Webhook delivery over httpx: SSRF check after DNS resolution, Standard Webhooks signing.

The request goes to the address that was checked (the URL's host is replaced by it, the
``Host`` header and TLS SNI keep the name), so a DNS answer that changes between the check and
the connection cannot steer it elsewhere. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from services.notifier.domain.addresses import AllowList, IPAddress, refusal
from services.notifier.domain.messages import PAYLOAD_VERSION, PAYLOAD_VERSION_HEADER
from services.notifier.domain.outcome import Outcome, from_status
from services.notifier.domain.retry import parse_retry_after

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos))


async def check_target(
    url: str, allow: AllowList, resolver: Resolver = resolve_host
) -> tuple[httpx.URL, IPAddress]:
    """The parsed URL and the address to use; raises ``ValueError`` with the reason if unsafe."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("the URL must be http(s) with a host")
    if parsed.userinfo:
        raise ValueError("the URL must not carry credentials")
    try:
        addresses = await resolver(parsed.host, parsed.port or _default_port(parsed))
    except OSError as exc:
        raise ValueError(f"{parsed.host} does not resolve: {exc}") from exc
    reason = refusal(parsed.host, addresses, allow)
    if reason is not None:
        raise ValueError(reason)
    return parsed, addresses[0]


async def _release(response: httpx.Response) -> None:
    """Drain a short body (the outcome is already decided by the status) and close."""
    try:
        async with asyncio.timeout(DRAIN_S):
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_DRAINED_BYTES:
                    break
    except (TimeoutError, httpx.HTTPError):
        pass
    finally:
        await response.aclose()


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def signature_header(secrets: Sequence[str], msg_id: str, at: datetime, body: str) -> str:
    """``v1,<sig>`` for every current secret (space-separated), as Standard Webhooks allows."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


MAX_DRAINED_BYTES = 64 * 1024
"""Up to this much of an answer's body is read (and discarded): a connection whose answer was
read to the end goes back to the pool, so the next alert to that receiver does not pay for a
new TCP (and TLS) connection. A longer body, or one slower than ``DRAIN_S``, closes the
connection instead; neither changes the outcome, which the status line decided."""
DRAIN_S = 1.0


class HttpWebhookSender:
    """``total_timeout_s`` bounds the whole attempt (DNS, connect, every byte): a receiver that
    trickles its answer cannot hold a worker past it. The body is discarded unread beyond
    :data:`MAX_DRAINED_BYTES`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        allow: AllowList,
        resolver: Resolver = resolve_host,
        total_timeout_s: float = 15.0,
    ) -> None:
        self.client, self.allow, self.resolver = client, allow, resolver
        self.total_timeout_s = total_timeout_s

    async def send(self, url: str, msg_id: str, body: str, secrets: Sequence[str]) -> Outcome:
        if not secrets:  # never unsigned (a secret no key opens is logged where it was read)
            return Outcome("error", error="no signing secret could be read: not sent unsigned")
        try:
            async with asyncio.timeout(self.total_timeout_s):
                outcome, response = await self._send(url, msg_id, body, secrets)
        except TimeoutError:
            return Outcome("timeout", error=f"no answer within {self.total_timeout_s:g} s")
        if response is not None:
            await _release(response)
        return outcome

    async def _send(
        self, url: str, msg_id: str, body: str, secrets: Sequence[str]
    ) -> tuple[Outcome, httpx.Response | None]:
        try:
            target, address = await check_target(url, self.allow, self.resolver)
        except ValueError as exc:
            return Outcome("refused", error=str(exc)), None
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "remit-notifier/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(secrets, msg_id, now, body),
            PAYLOAD_VERSION_HEADER: str(PAYLOAD_VERSION),
            "host": target.netloc.decode(),
        }
        pinned = target.copy_with(host=str(address))
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client.build_request(
            "POST", pinned, content=body.encode(), headers=headers, extensions=extensions
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            return Outcome("timeout", error=f"timed out: {type(exc).__name__}"), None
        except httpx.HTTPError as exc:
            return Outcome("error", error=f"{type(exc).__name__}: {exc}"[:500]), None
        retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
        return from_status(response.status_code, retry_after), response
