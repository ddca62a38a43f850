"""Email to confirmed subscribers: one delivery per subscriber, sent in batches per connection."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from notifier.channels.base import Channel, TransportError
from notifier.messages import UNSUBSCRIBE_MARKER, absolute, email_for
from notifier.models import Delivery, Notice, Subscriber
from notifier.tokens import unsubscribe_token

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


class EmailChannel(Channel):
    name = "email"
    label = "Email subscribers"
    batch: ClassVar[bool] = True

    def __init__(self) -> None:
        self._subscribers: dict[int, Subscriber] = {}

    def component_ids(self, notice: Notice) -> list[int]:
        if notice.incident_id:
            return list(notice.incident.affected.values_list("component_id", flat=True))
        if notice.maintenance_id:
            return list(notice.maintenance.components.values_list("id", flat=True))
        return []

    def audience(self, notice: Notice) -> Any:
        """Subscribers who chose every component, or one this notice is about."""
        subscribers = Subscriber.objects.all()
        component_ids = self.component_ids(notice)
        if component_ids:
            subscribers = subscribers.filter(
                Q(components=None) | Q(components__in=component_ids)
            ).distinct()
        return subscribers

    def create_deliveries(self, notice: Notice) -> int:
        # One INSERT ... SELECT: a list of 100,000 costs the publish one statement, not 100,000.
        audience = self.audience(notice).values_list("id", flat=True).order_by()
        ids_sql, ids_params = audience.query.sql_with_params()
        template = Delivery(notice=notice, channel=self.name, target="")
        columns, values, params = [], [], []
        for field in Delivery._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(connection.ops.quote_name(field.column))
            if field.name == "target":
                values.append("CAST(audience.id AS TEXT)")
            else:
                values.append("%s")
                params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(Delivery._meta.db_table)} "  # noqa: S608
                f"({', '.join(columns)}) SELECT {', '.join(values)} FROM ({ids_sql}) audience",
                [*params, *ids_params],
            )
            return cursor.rowcount

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = [int(d.target) for d in deliveries]
        self._subscribers = Subscriber.objects.in_bulk(ids)

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
        try:
            yield backend
        finally:
            with suppress(Exception):  # closing a broken connection may fail too
                backend.close()

    def session(self) -> AbstractContextManager[Any]:
        return self._smtp()

    def message(self, delivery: Delivery, subscriber: Subscriber) -> EmailMultiAlternatives:
        rendered = email_for(delivery.notice)
        unsubscribe = absolute(
            reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, subscriber.email)])
        )
        headers = {
            "Message-ID": rendered.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        }
        if rendered.in_reply_to:
            headers["In-Reply-To"] = rendered.in_reply_to
            headers["References"] = rendered.in_reply_to
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text.replace(UNSUBSCRIBE_MARKER, unsubscribe),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[subscriber.email],
            headers=headers,
        )
        message.attach_alternative(
            rendered.html.replace(UNSUBSCRIBE_MARKER, unsubscribe), "text/html"
        )
        return message

    def send(self, delivery: Delivery, session: Any) -> str:
        subscriber = self._subscribers.get(int(delivery.target))
        if subscriber is None:
            raise TransportError(
                "The subscriber unsubscribed before this was sent.", permanent=True
            )
        message = self.message(delivery, subscriber)
        try:
            session.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            raise TransportError(
                f"The mail server refused the address: {error}", permanent=True
            ) from error
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise TransportError(
                f"The mail server answered {error.smtp_code}: {error.smtp_error!r}",
                permanent=permanent,
            ) from error
        except TRANSIENT_ERRORS as error:
            raise TransportError(f"Lost the mail server: {error}", permanent=False) from error
        return str(message.extra_headers["Message-ID"])

    def preview(self, notice: Notice) -> str:
        return email_for(notice).subject
