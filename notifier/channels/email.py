"""Email to confirmed subscribers: one delivery per subscriber, sent in batches per connection."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from email.message import Message
from itertools import pairwise
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import now

from incidents.links import absolute
from notifier.channels import smtp_pipelining
from notifier.channels.base import ExpandingChannel, TransportError
from notifier.channels.email_bytes import MailTemplate, fits
from notifier.channels.smtp_pipelining import Envelope
from notifier.mail_headers import SEVEN_BIT_UTF8, list_id, mail_date
from notifier.models import Delivery, Notice, Subscriber
from notifier.notice_text import UNSUBSCRIBE_MARKER, RenderedEmail, email_for
from notifier.signed_links import UnsubscribeSigner, unsubscribe_token

# Network trouble: the next try may work. Anything the server refused outright is per message.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
    OSError,
)


def address(subscriber: Subscriber) -> str:
    """The subscriber's mail address; gone when they left email between publish and send."""
    if not subscriber.email:
        raise TransportError("The subscriber left email before this was sent.", permanent=True)
    return subscriber.email


class EmailChannel(ExpandingChannel):
    name = "email"
    label = "Email subscribers"
    public_label = "Email"
    subscribe_url_name = "subscribe"
    batch: ClassVar[bool] = True

    def __init__(self) -> None:
        self._subscribers: dict[int, Subscriber] = {}
        # Per notice, in the language active at prepare(); a mail's words are those of the
        # language it was built in, so another language's are kept apart.
        self._templates: dict[int, MailTemplate | None] = {}
        self._language: str | None = None
        self._templates_elsewhere: dict[tuple[int, str | None], MailTemplate | None] = {}
        self._date: str | None = None
        self._sender = ""
        # Per language (its prefix is in the link): the link around each mail's token.
        self._unsubscribe: dict[str, tuple[str, str]] = {}
        self._tokens = UnsubscribeSigner()
        # The batch in order, so each mail's content can go out with the next one's envelope.
        self._next: dict[int, Delivery] = {}
        self._ahead: tuple[int, tuple[str, str, bytes]] | None = None
        # Set once connected: a relay without 8BITMIME (RFC 6152) gets 7-bit bodies only.
        self._seven_bit = False
        self._notices: dict[int, Notice] = {}

    def audience(self, notice: Notice) -> Any:
        """Subscribers who chose every component, or one this notice is about."""
        return Subscriber.objects.exclude(email=None).following(notice.component_ids())

    def audience_ids(self, notice: Notice) -> Any:
        return self.audience(notice).values_list("id", flat=True)

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = [int(d.target) for d in deliveries]
        self._next = {d.pk: after for d, after in pairwise(deliveries)}
        self._subscribers = (
            Subscriber.objects.exclude(email=None).only("id", "email", "language").in_bulk(ids)
        )
        # Once per batch, not per process: the Date header is the batch's, not the publish's.
        self._date = mail_date(now())
        self._sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        self._unsubscribe = {}
        self._notices = {d.notice_id: d.notice for d in deliveries}
        self._build_templates()

    def _build_templates(self) -> None:
        date = self._date or mail_date(now())
        self._language = translation.get_language()
        self._templates_elsewhere = {}
        self._templates = {
            pk: MailTemplate.build(self._flattener(notice, date))
            for pk, notice in self._notices.items()
        }

    def _template(self, notice_id: int) -> MailTemplate | None:
        """The notice's mail in the active language, built the first time it is asked for."""
        language = translation.get_language()
        if language == self._language:
            return self._templates.get(notice_id)
        key = (notice_id, language)
        if key not in self._templates_elsewhere:
            notice = self._notices.get(notice_id)
            if notice is None:
                return None
            date = self._date or mail_date(now())
            self._templates_elsewhere[key] = MailTemplate.build(self._flattener(notice, date))
        return self._templates_elsewhere[key]

    @contextmanager
    def _smtp(self) -> Any:
        backend = get_connection(fail_silently=False)
        try:
            backend.open()
        except smtplib.SMTPAuthenticationError as error:  # before OSError: it is one
            raise TransportError(
                f"The mail server refused our login: {error}", permanent=True
            ) from error
        except TRANSIENT_ERRORS as error:
            raise TransportError(
                f"Cannot reach the mail server: {error}", permanent=False
            ) from error
        connection = getattr(backend, "connection", None)
        if not isinstance(connection, smtplib.SMTP):
            # Pipelining needs the socket: a printing or in-memory backend cannot send notices.
            with suppress(Exception):
                backend.close()
            raise TransportError(
                f"EMAIL_BACKEND {settings.EMAIL_BACKEND} is not an SMTP connection; notices "
                "go out over SMTP (leave EMAIL_URL unset for the embedded server, or set it)",
                permanent=True,
            )
        try:
            connection.ehlo_or_helo_if_needed()
        except (*TRANSIENT_ERRORS, smtplib.SMTPException) as error:
            with suppress(Exception):
                backend.close()
            raise TransportError(
                f"The mail server did not greet us: {error}", permanent=False
            ) from error
        seven_bit = not connection.has_extn("8bitmime")
        if seven_bit != self._seven_bit:
            self._seven_bit = seven_bit
            self._build_templates()  # quoted-printable bodies cannot be spliced: full builds
        pipeline = smtp_pipelining.Pipeline(connection)
        try:
            yield pipeline
        finally:
            with suppress(Exception):  # closing a broken connection may fail too
                pipeline.end()
                backend.close()

    def session(self) -> AbstractContextManager[Any]:
        return self._smtp()

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return absolute(
            reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, address(subscriber))])
        )

    def message(
        self, delivery: Delivery, subscriber: Subscriber, *, date: str | None = None
    ) -> EmailMultiAlternatives:
        """The mail for one subscriber, built in full (the reference the splice must match)."""
        return self._build(
            email_for(delivery.notice), address(subscriber), self.unsubscribe_url(subscriber), date
        )

    def _build(
        self, rendered: RenderedEmail, to: str, unsubscribe: str, date: str | None
    ) -> EmailMultiAlternatives:
        headers = {
            "Message-ID": rendered.message_id,
            "List-Id": list_id(),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        }
        if date:
            headers["Date"] = date
        if rendered.in_reply_to:
            headers["In-Reply-To"] = rendered.in_reply_to
            headers["References"] = rendered.in_reply_to
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text.replace(UNSUBSCRIBE_MARKER, unsubscribe),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers=headers,
        )
        message.attach_alternative(
            rendered.html.replace(UNSUBSCRIBE_MARKER, unsubscribe), "text/html"
        )
        if self._seven_bit and not (message.body + rendered.html + rendered.subject).isascii():
            message.encoding = SEVEN_BIT_UTF8
        return message

    def _flattener(self, notice: Notice, date: str) -> Callable[[str, str], tuple[Message, bytes]]:
        return lambda to, unsubscribe: self._flatten(notice, to, unsubscribe, date)

    def _flatten(
        self, notice: Notice, to: str, unsubscribe: str, date: str
    ) -> tuple[Message, bytes]:
        mime = self._build(email_for(notice), to, unsubscribe, date).message()
        return mime, mime.as_bytes(linesep="\r\n")

    def language_of(self, delivery: Delivery) -> str | None:
        subscriber = self._subscribers.get(int(delivery.target))
        return subscriber.language if subscriber is not None else None

    def _unsubscribe_parts(self) -> tuple[str, str]:
        """The unsubscribe link before and after its token, in the active language (reverse()
        once per language: each mail's link is this with its token in the middle)."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language not in self._unsubscribe:
            marker = "TOKEN-5f0c2e"
            before, after = absolute(reverse("unsubscribe", args=[marker])).split(marker)
            self._unsubscribe[language] = (before, after)
        return self._unsubscribe[language]

    def envelope(self, delivery: Delivery, subscriber: Subscriber) -> tuple[str, str, bytes]:
        """Sender, recipient and the message's bytes, spliced when that is safe, in the
        subscriber's language (the next mail's is built during this one's send)."""
        with translation.override(subscriber.language or settings.LANGUAGE_CODE):
            return self._envelope(delivery, subscriber)

    def _envelope(self, delivery: Delivery, subscriber: Subscriber) -> tuple[str, str, bytes]:
        to = address(subscriber)
        template = self._template(delivery.notice_id)
        if template is not None:
            before, after = self._unsubscribe_parts()
            url = f"{before}{self._tokens.token(subscriber.pk, to)}{after}"
            if fits(to, url):
                return self._sender, to, template.render(to, url)
        message = self.message(delivery, subscriber, date=self._date)
        recipient = sanitize_address(to, message.encoding or settings.DEFAULT_CHARSET)
        sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        return sender, recipient, message.message().as_bytes(linesep="\r\n")

    def send(self, delivery: Delivery, session: Any) -> str:
        subscriber = self._subscribers.get(int(delivery.target))
        if subscriber is None:
            raise TransportError(
                "The subscriber unsubscribed before this was sent.", permanent=True
            )
        if self._ahead is not None and self._ahead[0] == delivery.pk:
            sender, recipient, raw = self._ahead[1]
        else:
            sender, recipient, raw = self.envelope(delivery, subscriber)
        try:
            then = self._look_ahead(delivery)
            session.send(Envelope(sender, recipient, len(raw), not raw.isascii()), raw, then=then)
        except smtplib.SMTPRecipientsRefused as error:
            raise TransportError(
                f"The mail server refused the address: {error}", permanent=True
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise TransportError(str(error), permanent=True) from error
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise TransportError(
                f"The mail server answered {error.smtp_code}: {error.smtp_error!r}",
                permanent=permanent,
            ) from error
        except TRANSIENT_ERRORS as error:
            raise TransportError(f"Lost the mail server: {error}", permanent=False) from error
        return email_for(delivery.notice).message_id

    def _look_ahead(self, delivery: Delivery) -> Envelope | None:
        """The next mail's envelope, its bytes kept for its turn; None if it will not be sent."""
        self._ahead = None
        following = self._next.get(delivery.pk)
        subscriber = self._subscribers.get(int(following.target)) if following is not None else None
        if following is None or subscriber is None:
            return None
        sender, recipient, raw = self.envelope(following, subscriber)
        self._ahead = (following.pk, (sender, recipient, raw))
        return Envelope(sender, recipient, len(raw), not raw.isascii())

    def preview(self, notice: Notice) -> str:
        return email_for(notice).subject
