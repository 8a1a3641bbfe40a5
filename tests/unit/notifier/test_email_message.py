"""An alert e-mail carries the standard headers a mail system threads and de-duplicates by."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from services.notifier.adapters.email import SmtpSender


def _sender(address: str) -> SmtpSender:
    return SmtpSender("127.0.0.1", 25, address, 5.0)


def test_message_id_is_the_deliverys_so_a_retry_is_the_same_message() -> None:
    sender = _sender("Remit <alerts@remit.example.org>")
    first = sender.compose("a@b.example", "Subject", "text", "<p>html</p>", "msg_123")
    again = sender.compose("a@b.example", "Subject", "text", "<p>html</p>", "msg_123")
    assert first["Message-ID"] == again["Message-ID"] == "<msg_123@remit.example.org>"
    assert first["X-Remit-Message-Id"] == "msg_123"
    assert parsedate_to_datetime(first["Date"]).tzinfo is not None
    kinds = [part.get_content_type() for part in first.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "text/html"]


def test_without_a_delivery_id_the_message_still_gets_a_unique_id() -> None:
    sender = _sender("alerts")
    one = sender.compose("a@b.example", "S", "text", None, "")
    two = sender.compose("a@b.example", "S", "text", None, "")
    assert one["Message-ID"] != two["Message-ID"]
    assert one["Message-ID"].endswith("@remit.invalid>")
