"""The embedded mail server of the default settings, and the mails it caught.

With `EMAIL_URL` unset, `manage.py serve` (what `make run` starts) runs an SMTP server on
loopback that keeps every mail it accepts, byte for byte, in a Maildir (`VAR_DIR/outbox`).
Notices and confirmations reach it through the same SMTP code as a production relay, and the
console's Outbox page reads them back, so a newcomer sees exactly what subscribers would get.
"""

from __future__ import annotations

import email.policy
import mailbox
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

# Mails read for the Outbox page at most: the newest, so a long-running demo stays quick.
LIST_LIMIT = 500
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Python's Maildir names a mail "<seconds>.M<microseconds>P<pid>Q<counter>.<host>".
_ARRIVAL = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def arrival(key: str) -> tuple[int, int, int, str]:
    """A sort key in the order mails arrived (Maildir names start with the time)."""
    if match := _ARRIVAL.match(key):
        return (int(match[1]), int(match[2]), int(match[3]), key)
    return (0, 0, 0, key)


class KeepingHandler:
    """aiosmtpd handler: each accepted mail is written to the Maildir once per recipient.

    The content is kept as it arrived, with a `Delivered-To` line on top as a real delivery
    agent adds, so what the Outbox shows is what a subscriber's mailbox would hold.
    """

    def __init__(self, directory: Path) -> None:
        # Maildir(create=True) makes tmp/, new/ and cur/ only in a directory it creates itself.
        for part in ("tmp", "new", "cur"):
            (directory / part).mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(directory, create=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        for recipient in envelope.rcpt_tos:
            self.maildir.add(f"Delivered-To: {recipient}\r\n".encode() + content)
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class CaughtMail:
    key: str
    to: str
    sender: str
    subject: str
    date: datetime | None
    message_id: str
    thread_id: str  # the Message-ID of the first mail of its thread


@dataclass
class Thread:
    root: str
    mails: list[CaughtMail] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.mails[0].subject

    @property
    def latest(self) -> datetime | None:
        dates = [m.date for m in self.mails if m.date]
        return max(dates) if dates else None


def _thread_id(headers: Any) -> str:
    # References lists the thread from its start; In-Reply-To names the parent.
    for name in ("References", "In-Reply-To", "Message-ID"):
        if found := _MESSAGE_ID.findall(str(headers.get(name, ""))):
            return found[0]
    return ""


def _date(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    # "-0000" (RFC 5322 3.3) is UTC with the sender's zone unknown; Python reads it as naive.
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _maildir(directory: Path) -> mailbox.Maildir | None:
    if not (directory / "cur").is_dir() and not (directory / "new").is_dir():
        return None
    return mailbox.Maildir(directory, create=False)


def caught_mails(directory: Path, limit: int = LIST_LIMIT) -> list[CaughtMail]:
    """The newest `limit` mails caught, oldest first, read from their headers alone."""
    box = _maildir(directory)
    if box is None:
        return []
    keys = sorted(box.keys(), key=arrival)[-limit:]
    parser = BytesHeaderParser(policy=email.policy.default)
    mails = []
    for key in keys:
        try:
            with box.get_file(key) as handle:
                # A mailbox file proxy reads as a binary file; its stub lacks what parse() lists.
                headers = parser.parse(cast(BinaryIO, handle))
        except (KeyError, OSError):  # removed while we read
            continue
        message_id = "".join(_MESSAGE_ID.findall(str(headers.get("Message-ID", "")))[:1])
        mails.append(
            CaughtMail(
                key=key,
                to=str(headers.get("Delivered-To") or headers.get("To", "")),
                sender=str(headers.get("From", "")),
                subject=str(headers.get("Subject", "")),
                date=_date(headers.get("Date")),
                message_id=message_id,
                thread_id=_thread_id(headers) or key,
            )
        )
    return mails


def threads(mails: Iterable[CaughtMail]) -> list[Thread]:
    """Mails grouped into threads, the thread with the newest mail first."""
    by_root: dict[str, Thread] = {}
    for mail in mails:
        by_root.setdefault(mail.thread_id, Thread(mail.thread_id)).mails.append(mail)
    return sorted(by_root.values(), key=lambda t: arrival(t.mails[-1].key), reverse=True)


@dataclass(frozen=True)
class MailParts:
    subject: str
    headers: list[tuple[str, str]]
    text: str
    html: str


SHOWN_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted",
)  # fmt: skip


def caught_mail(directory: Path, key: str) -> MailParts | None:
    """One caught mail's headers and its text and HTML parts; None if there is no such mail."""
    box = _maildir(directory)
    if box is None or "/" in key or key.startswith("."):
        return None
    try:
        with box.get_file(key) as handle:
            message = BytesParser(policy=email.policy.default).parse(cast(BinaryIO, handle))
    except (KeyError, OSError):
        return None
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return MailParts(
        subject=str(message.get("Subject", "")),
        headers=[(name, str(message[name])) for name in SHOWN_HEADERS if message[name]],
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
    )
