"""Subscribing with double opt-in, confirming and unsubscribing."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents.models import Component
from notifier.messages import absolute
from notifier.models import Subscriber
from notifier.tokens import (
    SubscribeRequest,
    confirmation_token,
    matches_address,
    read_unsubscribe_token,
)


def over_rate_limit(ip: str) -> bool:
    """Count subscribe attempts per IP per hour; True once the limit is passed."""
    key = f"subscribe-rate:{ip}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) > settings.SUBSCRIBE_RATE_LIMIT


def confirmation_email(request: SubscribeRequest) -> EmailMultiAlternatives:
    link = absolute(reverse("subscribe_confirm", args=[confirmation_token(request)]))
    names = list(
        Component.objects.filter(pk__in=request.component_ids).values_list("name", flat=True)
    )
    context = {"link": link, "components": names, "site_name": settings.SITE_NAME}
    hours = settings.SUBSCRIBE_CONFIRM_MAX_AGE // 3600
    context["valid_for"] = f"{hours} hours" if hours < 72 else f"{hours // 24} days"
    subject = " ".join(render_to_string("emails/confirm-subject.txt", context).split())
    return EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/confirm-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


@transaction.atomic
def confirm(request: SubscribeRequest) -> tuple[Subscriber, bool]:
    """Create or update the subscriber; returns it and whether it is new."""
    subscriber, created = Subscriber.objects.get_or_create(email=request.email)
    components: Iterable[Component] = Component.objects.filter(pk__in=request.component_ids)
    subscriber.components.set(list(components))
    return subscriber, created


def unsubscribe(token: str) -> bool:
    """Delete the subscriber the token names; False when it is already gone."""
    subscriber_id, address_hash = read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    # An id reused by a later subscriber does not match the address the link was made for.
    if subscriber is None or not matches_address(address_hash, subscriber.email):
        return False
    subscriber.delete()
    return True
