"""A real SMTP server on loopback (aiosmtpd, in this process) that records what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """What the server accepted, parsed; `refuse` makes it answer 550 for those addresses."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    # Offered as production relays and smtp-sink do, so the pipelined send is what is tested.
    pipelining: bool = True
    # aiosmtpd offers 8BITMIME (RFC 6152); False takes it out of the EHLO answer.
    eight_bit_mime: bool = True
    # Each accepted message's content, as it came over the wire.
    contents: list[bytes] = field(default_factory=list)
    # Each MAIL command's parameters (SIZE=, BODY=), in order.
    mail_options: list[list[str]] = field(default_factory=list)
    # Every command in the order received, to see the pipelined envelope arrive.
    commands: list[str] = field(default_factory=list)
    # The answer to a message's content for these recipients, instead of accepting it.
    content_answers: dict[str, str] = field(default_factory=dict)
    # Signalled on each command: the server runs in its own thread and may still be reading
    # what the client wrote when the client has its answer and moves on.
    _heard: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def _record(self, command: str) -> None:
        with self._heard:
            self.commands.append(command)
            self._heard.notify_all()

    def wait_for_command(self, command: str, timeout: float = 5.0) -> bool:
        """Whether the server has received `command`, waiting up to `timeout` seconds for it."""
        with self._heard:
            return self._heard.wait_for(lambda: command in self.commands, timeout)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        if not self.eight_bit_mime:
            responses = [r for r in responses if r[4:] != "8BITMIME"]
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        self._record(f"MAIL {address}")
        self.mail_options.append(list(options))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        self._record(f"RCPT {address}")
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for recipient in envelope.rcpt_tos:
            if recipient in self.content_answers:
                return self.content_answers[recipient]
        self.contents.append(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    port = free_port()
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def writes(monkeypatch) -> list[bytes]:
    """Every write the client makes on its SMTP connections."""
    import smtplib

    seen: list[bytes] = []
    send = smtplib.SMTP.send

    def recording(self: smtplib.SMTP, data: bytes | str) -> None:
        seen.append(data.encode() if isinstance(data, str) else data)
        send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", recording)
    return seen
