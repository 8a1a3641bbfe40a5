"""E-mail delivery with aiosmtplib: multipart plain text + HTML."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import aiosmtplib

from services.notifier.domain.outcome import Outcome


class SmtpSender:
    """:class:`~..service_layer.ports.EmailSender` over SMTP."""

    def __init__(self, host: str, port: int, sender: str, timeout: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def compose(
        self, to: str, subject: str, plain: str, html: str | None, msg_id: str
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        # The delivery's id: a retried send is the same message to the receiving mail system.
        _, at, domain = parseaddr(self.sender)[1].rpartition("@")
        domain = domain if at and domain else "remit.invalid"
        message["Message-ID"] = f"<{msg_id}@{domain}>" if msg_id else make_msgid(domain=domain)
        message["X-Remit-Message-Id"] = msg_id
        message.set_content(plain)
        if html:
            message.add_alternative(html, subtype="html")
        return message

    async def send(
        self, to: str, subject: str, plain: str, html: str | None = None, msg_id: str = ""
    ) -> Outcome:
        message = self.compose(to, subject, plain, html, msg_id)
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout)
        except aiosmtplib.SMTPResponseException as exc:
            return Outcome("failed", exc.code, f"SMTP {exc.code}: {exc.message}"[:500])
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome("error", error=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome("delivered", 250)
