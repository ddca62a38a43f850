"""Subscribing with double opt-in, confirming and unsubscribing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from incidents.links import absolute
from incidents.models import Component
from notifier.mail_headers import SEVEN_BIT_UTF8, one_off_headers
from notifier.models import Subscriber, Unsubscribed, WebhookEndpoint
from notifier.notice_text import valid_for
from notifier.ratelimit import Clock, Decision, RateLimit, configured_store
from notifier.signed_links import (
    BadToken,
    SubscribeRequest,
    address_key,
    confirmation_token,
    manage_token,
    matches_address,
    matches_key,
    matches_secret,
    read_confirmation_token,
    read_unsubscribe_token,
    read_webhook_unsubscribe_token,
)

RATE_WINDOW_SECONDS = 3600


def subscribe_rate_limit(clock: Clock = time.time) -> RateLimit:
    return RateLimit(
        "subscribe",
        settings.SUBSCRIBE_RATE_LIMIT,
        RATE_WINDOW_SECONDS,
        store=configured_store(),
        clock=clock,
    )


def admit(address: str) -> Decision:
    """Count a well-formed subscribe request from this client address, if it is admitted."""
    return subscribe_rate_limit().hit(address)


def _names(components: QuerySet[Component]) -> tuple[str, ...]:
    return tuple(components.values_list("name", flat=True))  # in the status page's order


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else gettext("every service")


@dataclass(frozen=True)
class SubscriptionChange:
    """What confirming a request does to the address's subscription; no names: every service."""

    subscribed: bool
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def changes(self) -> bool:
        return self.subscribed and set(self.before) != set(self.after)

    @property
    def before_text(self) -> str:
        return _listed(self.before)

    @property
    def after_text(self) -> str:
        return _listed(self.after)

    @property
    def added(self) -> tuple[str, ...]:
        # Only between two lists: "every service" on either side says it all.
        return tuple(n for n in self.after if n not in self.before) if self.before else ()

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(n for n in self.before if n not in self.after) if self.after else ()


def change_on_confirm(request: SubscribeRequest) -> SubscriptionChange:
    if request.subscriber_id is not None:
        # Joining a reader's subscription: their page chose the services; the address adds none.
        joined = joining_subscriber(request)
        names = _names(joined.components.all())
        return SubscriptionChange(subscribed=True, before=names, after=names)
    subscriber = Subscriber.objects.filter(email=request.email).first()
    chosen = _names(Component.objects.filter(pk__in=request.component_ids))
    if subscriber is None:
        return SubscriptionChange(subscribed=False, before=(), after=chosen)
    return SubscriptionChange(True, _names(subscriber.components.all()), chosen)


def confirmation_email(request: SubscribeRequest) -> EmailMultiAlternatives:
    link = absolute(reverse("subscribe_confirm", args=[confirmation_token(request)]))
    context = {
        "link": link,
        "change": change_on_confirm(request),
        "joining": request.subscriber_id is not None,
        "site_name": settings.SITE_NAME,
    }
    hours = settings.SUBSCRIBE_CONFIRM_MAX_AGE // 3600
    context["valid_for"] = valid_for(hours)
    subject = " ".join(render_to_string("emails/confirm-subject.txt", context).split())
    headers = {"Auto-Submitted": "auto-generated", **one_off_headers()}
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/confirm-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
        headers=headers,
    )
    if not (mail.body + subject).isascii():
        # Sent through Django's backend, which never checks for 8BITMIME (RFC 6152).
        mail.encoding = SEVEN_BIT_UTF8
    return mail


WITHDRAWN = gettext_lazy(
    "You unsubscribed after this confirmation link was sent, so it no longer subscribes you. "
    "To subscribe again, ask for a new link."
)


def check_not_withdrawn(request: SubscribeRequest) -> None:
    """Refuse a confirmation link made before its address unsubscribed."""
    made = datetime.fromtimestamp(request.issued_at, UTC)
    if Unsubscribed.left_since(request.email, made):
        raise BadToken(WITHDRAWN)


def read_confirmation(token: str) -> SubscribeRequest:
    """The request a confirmation link carries, if it still stands."""
    request = read_confirmation_token(token)
    check_not_withdrawn(request)
    return request


JOINED_GONE = gettext_lazy(
    "The subscription this address was to join no longer exists (it ended, or its link was "
    "renewed). To get notices at this address, subscribe again."
)


def joining_subscriber(request: SubscribeRequest) -> Subscriber:
    """The reader whose own page asked to add this address, if they are still there."""
    subscriber_id = request.subscriber_id
    subscriber = (
        None if subscriber_id is None else Subscriber.objects.filter(pk=subscriber_id).first()
    )
    if subscriber is None or not matches_key(request.subscriber_key_hash, subscriber.key):
        raise BadToken(JOINED_GONE)
    return subscriber


def _attach_email(request: SubscribeRequest) -> Subscriber:
    subscriber = joining_subscriber(request)
    if subscriber.email == request.email:
        return subscriber
    holder = Subscriber.objects.filter(email=request.email).exclude(pk=subscriber.pk).first()
    if holder is not None:
        # The address moves to this reader; the one it left may now reach nobody.
        if holder.contact_points.exists():
            Subscriber.objects.filter(pk=holder.pk).update(email=None)
        else:
            holder.delete()
    subscriber.email = request.email
    subscriber.save(update_fields=["email"])
    return subscriber


@transaction.atomic
def confirm(request: SubscribeRequest) -> tuple[Subscriber, bool]:
    """Create or update the subscriber; returns it and whether it is new.

    A request from a reader's own page gives the address to that reader (their old address,
    if any, is replaced) and leaves their services as they are.
    """
    check_not_withdrawn(request)
    if request.subscriber_id is not None:
        return _attach_email(request), False
    # The reader confirms on a page in their language: their notices are written in it.
    language = translation.get_language()
    subscriber, created = Subscriber.objects.get_or_create(
        email=request.email, defaults={"language": language}
    )
    if not created and subscriber.language != language:
        Subscriber.objects.filter(pk=subscriber.pk).update(language=language)
    components: Iterable[Component] = Component.objects.filter(pk__in=request.component_ids)
    subscriber.components.set(list(components))
    return subscriber, created


def unsubscribe(token: str) -> bool:
    """Delete the subscriber the token names; False when it is already gone."""
    subscriber_id, address_hash = read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    # An id reused by a later subscriber does not match the address the link was made for.
    if subscriber is None or not subscriber.email:
        return False
    if not matches_address(address_hash, subscriber.email):
        return False
    now = timezone.now()
    with transaction.atomic():
        if subscriber.contact_points.exists():
            # Leaving email only: the reader's other channels still reach them.
            Subscriber.objects.filter(pk=subscriber.pk).update(email=None)
        else:
            subscriber.delete()
        Unsubscribed.objects.update_or_create(
            key=address_key(subscriber.email), defaults={"at": now}
        )
        # Older records outlived every link they could withdraw.
        links_live = timedelta(seconds=settings.SUBSCRIBE_CONFIRM_MAX_AGE)
        Unsubscribed.objects.filter(at__lt=now - links_live).delete()
    return True


def manage_token_for_unsubscribe(token: str) -> str:
    """The token of the own page of the reader an unsubscribe link names; empty if gone."""
    subscriber_id, address_hash = read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not subscriber.email:
        return ""
    if not matches_address(address_hash, subscriber.email):
        return ""
    return manage_token(subscriber.pk, subscriber.key)


def remove_webhook(token: str) -> bool:
    """Delete the subscriber endpoint the token names; False when it is already gone."""
    endpoint_id, secret_hash = read_webhook_unsubscribe_token(token)
    endpoint = WebhookEndpoint.objects.filter(
        pk=endpoint_id, owner=WebhookEndpoint.Owner.SUBSCRIBER
    ).first()
    if endpoint is None or not matches_secret(secret_hash, endpoint.secret):
        return False
    endpoint.delete()
    return True
