"""SSRF guard: which network addresses a webhook may be sent to.

A webhook host is safe only if *every* address it resolves to is public, or the operator's
allow-list permits it (by host name or by network). IPv4-mapped and 6to4 IPv6 addresses are
judged by the IPv4 address they carry.

Python's ``is_global`` is not enough on its own: for IPv6 it is only ``not is_private``, which
leaves the deprecated site-local range (fec0::/10, RFC 3879) and the documentation range
3fff::/20 (RFC 9637, newer than Python 3.11's tables) "global". Every flag is checked first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressClass(StrEnum):
    PUBLIC = "public"
    METADATA = "metadata"
    LOOPBACK = "loopback"
    UNSPECIFIED = "unspecified"
    LINK_LOCAL = "link_local"
    SITE_LOCAL = "site_local"
    PRIVATE = "private"
    MULTICAST = "multicast"
    RESERVED = "reserved"


METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NOT_GLOBAL_V6 = (ipaddress.ip_network("3fff::/20"),)  # documentation, unknown to 3.11


def classify(address: IPAddress) -> AddressClass:
    """The most specific class that makes ``address`` unsafe, or PUBLIC."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return classify(embedded)
    checks = (
        (address in METADATA_ADDRESSES, AddressClass.METADATA),
        (address.is_loopback, AddressClass.LOOPBACK),
        (address.is_unspecified, AddressClass.UNSPECIFIED),
        (address.is_link_local, AddressClass.LINK_LOCAL),
        (_is_site_local(address), AddressClass.SITE_LOCAL),
        (address.is_multicast, AddressClass.MULTICAST),
        (address.is_reserved, AddressClass.RESERVED),
        (address.is_private or _in_shared(address), AddressClass.PRIVATE),
        (not address.is_global or _unlisted_reserved(address), AddressClass.RESERVED),
    )
    return next((cls for hit, cls in checks if hit), AddressClass.PUBLIC)


def _is_site_local(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and address.is_site_local


def _unlisted_reserved(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and any(address in n for n in _NOT_GLOBAL_V6)


def _in_shared(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv4Address) and address in _SHARED


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, hosts: Iterable[str], networks: Iterable[str]) -> AllowList:
        return cls(
            frozenset(h.lower().strip("[]") for h in hosts),
            tuple(ipaddress.ip_network(n, strict=False) for n in networks),
        )

    def permits(self, host: str, address: IPAddress) -> bool:
        if host.lower().strip("[]") in self.hosts or str(address) in self.hosts:
            return True
        return any(address.version == n.version and address in n for n in self.networks)


def refusal(host: str, addresses: Iterable[IPAddress], allow: AllowList) -> str | None:
    """Why ``host`` (resolved to ``addresses``) must not be called, or ``None`` if it may."""
    resolved = list(addresses)
    if not resolved:
        return f"{host} does not resolve to any address"
    for address in resolved:
        kind = classify(address)
        if kind is not AddressClass.PUBLIC and not allow.permits(host, address):
            return f"{host} resolves to {address}, a {kind.value.replace('_', '-')} address"
    return None
