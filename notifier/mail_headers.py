"""Header values every outgoing mail shares: its Date, Message-ID domain and List-Id.

All drawn from settings, never typed: the sender's domain from DEFAULT_FROM_EMAIL (the
right side of a Message-ID must be a domain the sender controls, RFC 5322 3.6.4, and the
SITE_URL may be an address or a host the mail domain does not own), the Date in the site's
zone through incidents/timefmt.py (RFC 5322 3.3: "-0000" says the zone is unknown).
"""

from __future__ import annotations

from datetime import datetime
from email.charset import QP, Charset
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from incidents import timefmt

# UTF-8 bodies in quoted-printable: 7-bit clean, for relays without 8BITMIME (RFC 6152).
# Headers are encoded as with Django's own "utf-8", only the body encoding differs.
SEVEN_BIT_UTF8 = Charset("utf-8")
SEVEN_BIT_UTF8.body_encoding = QP


def _site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def sender_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL, in ASCII (an international one as punycode)."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2].strip().rstrip(".").lower() if "@" in address else ""
    if not domain:
        return _site_host()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return _site_host()


def message_id(local_part: str) -> str:
    """'<incident-5@runbox.com>': a stable id, so later mails can refer to it."""
    return f"<{local_part}@{sender_domain()}>"


def new_message_id() -> str:
    """A unique id for a one-off mail (a confirmation)."""
    return make_msgid(domain=sender_domain())


def list_id() -> str:
    """'Runbox Status <status.runbox.com>' (RFC 2919): the same for every notice."""
    return formataddr((settings.SITE_NAME, f"status.{sender_domain()}"), charset="utf-8")


def mail_date(moment: datetime) -> str:
    """'Fri, 25 Jan 2013 00:15:00 +0100': in the site's zone, its offset written out."""
    return format_datetime(timefmt.in_zone(moment))


def one_off_headers() -> dict[str, str]:
    """Date and Message-ID of a mail sent once (not a notice): this site's, not Django's
    defaults ("-0000" and the machine's host name)."""
    return {"Date": mail_date(timezone.now()), "Message-ID": new_message_id()}


def one_off_mail(subject: str, body: str, recipient: str) -> EmailMessage:
    """A plain mail to one person (a staff alert, an endpoint's contact)."""
    return EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], headers=one_off_headers()
    )
