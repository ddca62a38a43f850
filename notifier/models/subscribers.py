"""Subscribers, how each is reached, and what the sign-up forms remember.

A Subscriber is the reader (the components chosen, the email address if any); every other
channel's address is one of the reader's ContactPoints.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Component
from incidents.models.translations import site_language
from notifier.signed_links import address_key


def new_subscriber_key() -> str:
    return secrets.token_urlsafe(16)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def following(self, component_ids: list[int]) -> SubscriberQuerySet:
        """Subscribers who chose every component, or one of these (none given: everybody)."""
        if not component_ids:
            return self
        return self.filter(Q(components=None) | Q(components__in=component_ids)).distinct()


class Subscriber(models.Model):
    """A reader who gets notices: the components chosen, and how to reach them.

    `email` is the email channel's address (empty for a reader reached only otherwise); every
    other channel's address is one of the reader's ContactPoints. Nothing is stored before a
    contact is confirmed, and leaving deletes the row with its contacts.
    """

    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    # Empty means every component.
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    # Names the reader's own page (notifier.signed_links.manage_token); a new key voids old links.
    key = models.CharField(max_length=32, default=new_subscriber_key, editable=False)
    # What every channel writes to them in: the page they subscribed from, or their choice.
    language = models.CharField(max_length=8, default=site_language)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email or f"subscriber {self.pk}"

    @property
    def reachable(self) -> bool:
        """Whether any channel can still reach the reader (else the row serves nobody)."""
        return bool(self.email) or self.contact_points.exists()


class ContactPointQuerySet(models.QuerySet["ContactPoint"]):
    def audience(self, channel: str, component_ids: list[int]) -> ContactPointQuerySet:
        """A channel's contact points whose subscriber follows these components."""
        points = self.filter(channel=channel)
        if component_ids:
            followers = Subscriber.objects.following(component_ids).values("id")
            points = points.filter(subscriber_id__in=followers)
        return points


class ContactPoint(models.Model):
    """How a subscriber is reached on a channel other than email: a number, a chat, a browser.

    `address` is what the channel sends to (an E.164 number, an incoming-webhook URL, a
    Telegram chat id, a push endpoint); `details` holds only what the channel cannot send
    without (a push subscription's keys). Written once confirmed; deleted when the reader
    leaves or the far end says the contact is gone.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="contact_points"
    )
    channel = models.CharField(max_length=40)
    address = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    confirmed_at = models.DateTimeField(default=timezone.now)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="one_contact_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.shown_address}"

    @property
    def shown_address(self) -> str:
        """The address as the reader may see it. A URL (a chat hook, a push endpoint) is a
        secret in itself: only its host and its last four characters, to tell hooks apart."""
        if self.address.startswith(("https://", "http://")):
            host = urlsplit(self.address).netloc
            return f"{host}/…{self.address[-4:]}"
        return self.address if len(self.address) <= 48 else f"{self.address[:44]}…"


class Unsubscribed(models.Model):
    """An address that unsubscribed, kept as long as a confirmation link lives.

    A confirmation link issued before this moment no longer subscribes the address: each link
    stands for one request, and unsubscribing withdraws the requests made before it.
    """

    # An HMAC of the address (notifier.signed_links.address_key): no address is stored.
    key = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key[:12]

    @classmethod
    def left_since(cls, address: str, moment: datetime) -> bool:
        """Whether this address (or number) unsubscribed at `moment` or later."""
        return cls.objects.filter(key=address_key(address), at__gte=moment).exists()


class RateLimitLog(models.Model):
    """When one client's recent requests under one limit were admitted (notifier/ratelimit.py)."""

    # An HMAC of the limit's name and the client's address: no address is stored.
    key = models.CharField(max_length=64, unique=True)
    hits = models.JSONField(default=list)  # POSIX times of the admitted requests in the window
    # When the newest of them leaves the window; the row is deleted after that.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key[:12]
