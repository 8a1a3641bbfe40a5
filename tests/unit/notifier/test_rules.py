"""Filters, retry schedule, SSRF address classification, message ids."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.domain.addresses import AddressClass, AllowList, classify, refusal
from services.notifier.domain.filters import Filter
from services.notifier.domain.messages import webhook_id
from services.notifier.domain.reasons import Reason as R
from services.notifier.domain.retry import DEFAULT_SCHEDULE, RetryPolicy, parse_retry_after


@pytest.mark.parametrize(
    ("patterns", "event_type", "accepted"),
    [
        ((), "ActionCommitted", True),
        (("Responsibility*",), "ResponsibilityTransferred", True),
        (("Responsibility*",), "ResponsibilityAssigned", True),
        (("Responsibility*",), "ActionCommitted", False),
        (("Recommendation[AR]*",), "RecommendationAdapted", True),
        (("Recommendation[AR]*",), "RecommendationDeferred", False),
        (("responsibility*",), "ResponsibilityTransferred", False),
        (("Action*", "Organisation?erged"), "OrganisationMerged", True),
    ],
)
def test_event_type_patterns(patterns: tuple[str, ...], event_type: str, accepted: bool) -> None:
    assert Filter(event_types=patterns).accepts(event_type, {R.ACTION_COMMITTED}) is accepted


def test_reason_filter() -> None:
    f = Filter(reasons=frozenset({R.RESPONSIBILITY_LOST, R.PROPOSAL_NOT_FOLLOWED}))
    assert f.accepts("ResponsibilityTransferred", {R.PROPOSAL_NOT_FOLLOWED})
    assert not f.accepts("ResponsibilityTransferred", {R.RESPONSIBILITY_GAINED})
    assert not Filter().accepts("ActionCommitted", set())


def test_default_schedule_spans_at_least_three_days() -> None:
    policy = RetryPolicy()
    assert policy.total_span() >= 3 * 24 * 3600
    assert policy.max_attempts == len(DEFAULT_SCHEDULE) + 1
    assert policy.next_delay(policy.max_attempts) is None


@given(st.integers(1, len(DEFAULT_SCHEDULE)), st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_bounds(attempt: int, r: float) -> None:
    policy = RetryPolicy()
    delay = policy.next_delay(attempt, rand=lambda: r)
    base = DEFAULT_SCHEDULE[attempt - 1]
    assert delay is not None
    assert base * 0.9 <= delay <= base * 1.1


def test_retry_after_is_honoured_when_longer() -> None:
    policy = RetryPolicy(schedule=(1.0, 2.0), jitter=0)
    assert policy.next_delay(1, retry_after=30) == 30
    assert policy.next_delay(1, retry_after=0.5) == 1.0
    assert RetryPolicy(max_retry_after=60).next_delay(1, retry_after=10**9) == 60


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", 0) == 120
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40) == 60
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after(None, 0) is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", AddressClass.PUBLIC),
        ("2606:4700::1111", AddressClass.PUBLIC),
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("::1", AddressClass.LOOPBACK),
        ("10.1.2.3", AddressClass.PRIVATE),
        ("172.16.0.1", AddressClass.PRIVATE),
        ("192.168.1.1", AddressClass.PRIVATE),
        ("100.64.0.1", AddressClass.PRIVATE),
        ("fc00::1", AddressClass.PRIVATE),
        ("169.254.1.1", AddressClass.LINK_LOCAL),
        ("fe80::1", AddressClass.LINK_LOCAL),
        ("169.254.169.254", AddressClass.METADATA),
        ("fd00:ec2::254", AddressClass.METADATA),
        ("224.0.0.1", AddressClass.MULTICAST),
        ("ff02::1", AddressClass.MULTICAST),
        ("0.0.0.0", AddressClass.UNSPECIFIED),
        ("240.0.0.1", AddressClass.RESERVED),
        ("::ffff:127.0.0.1", AddressClass.LOOPBACK),
        ("::ffff:169.254.169.254", AddressClass.METADATA),
        ("2002:a00:1::", AddressClass.PRIVATE),
        ("fec0::1", AddressClass.SITE_LOCAL),
        ("feff:ffff::1", AddressClass.SITE_LOCAL),
        ("::ffff:0.0.0.0", AddressClass.UNSPECIFIED),
        ("::", AddressClass.UNSPECIFIED),
        ("ff05::2", AddressClass.MULTICAST),
        ("255.255.255.255", AddressClass.RESERVED),
        ("100::1", AddressClass.RESERVED),
        ("::a00:1", AddressClass.RESERVED),
        ("64:ff9b::a00:1", AddressClass.RESERVED),
        ("5f00::1", AddressClass.RESERVED),
        ("3fff::1", AddressClass.RESERVED),
        ("2001:db8::1", AddressClass.PRIVATE),
        ("192.0.2.1", AddressClass.PRIVATE),
        ("198.18.0.1", AddressClass.PRIVATE),
        ("2001:4860:4860::8888", AddressClass.PUBLIC),
    ],
)
def test_classify(address: str, kind: AddressClass) -> None:
    assert classify(ipaddress.ip_address(address)) is kind


@given(st.ip_addresses(v=4, network="10.0.0.0/8") | st.ip_addresses(v=4, network="127.0.0.0/8"))
def test_private_and_loopback_are_refused(address: ipaddress.IPv4Address) -> None:
    assert refusal("h.example", [address], AllowList()) is not None


@given(st.ip_addresses(v=4, network="127.0.0.0/8"))
def test_allow_list_by_network(address: ipaddress.IPv4Address) -> None:
    allow = AllowList.of([], ["127.0.0.0/8"])
    assert refusal("localhost", [address], allow) is None


@given(st.ip_addresses(v=6, network="fec0::/10"))
def test_site_local_is_refused(address: ipaddress.IPv6Address) -> None:
    assert refusal("old.example", [address], AllowList()) == (
        f"old.example resolves to {address}, a site-local address"
    )


@given(st.ip_addresses(v=6))
def test_public_means_no_flag_is_raised(address: ipaddress.IPv6Address) -> None:
    """Mapped and 6to4 addresses are judged by the IPv4 address they carry."""
    judged = address.ipv4_mapped or address.sixtofour or address
    if classify(address) is AddressClass.PUBLIC:
        flags = ("is_site_local", "is_reserved", "is_unspecified", "is_multicast", "is_private")
        assert not any(getattr(judged, f, False) for f in flags)
        assert not judged.is_loopback and not judged.is_link_local and judged.is_global


def test_allow_list_by_host_and_mixed_resolution() -> None:
    allow = AllowList.of(["127.0.0.1"], [])
    assert refusal("127.0.0.1", [ipaddress.ip_address("127.0.0.1")], allow) is None
    both = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.1")]
    assert refusal("rebind.example", both, allow) is not None
    assert refusal("nothing.example", [], allow) is not None


def test_webhook_id_is_deterministic() -> None:
    a = webhook_id("e1", "s1")
    assert a == webhook_id("e1", "s1") and a.startswith("msg_")
    assert a != webhook_id("e1", "s2")
