"""Webhook endpoints: a URL that receives every notice as JSON, signed with its own secret."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from incidents.models import Component
from notifier.outbound import validate_subscriber_url


def new_secret() -> str:
    return secrets.token_hex(32)


def validate_webhook_url(value: str) -> None:
    """An http or https address with a host: nothing else can receive a POST."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValidationError(
            "Give a web address, such as https://hooks.example.com/status."
        ) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("A webhook address starts with https:// (or http://).")
    if not host:
        raise ValidationError("Give the address a host, such as https://hooks.example.com/status.")


class WebhookEndpoint(models.Model):
    """A URL that receives every notice as JSON, signed with its own secret."""

    class Owner(models.TextChoices):
        STAFF = "staff", "Staff"
        SUBSCRIBER = "subscriber", "Subscriber"

    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    owner = models.CharField(max_length=20, choices=Owner.choices, default=Owner.STAFF)
    contact_email = models.EmailField(blank=True, help_text="Told when the endpoint is disabled.")
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Written by the webhook channel: when it last answered 2xx, and the last try that failed.
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        # A subscriber's address is held to more at the edge than a staff one (and checked
        # again at every send, after resolving its name: notifier/outbound.py).
        if self.owner == self.Owner.SUBSCRIBER and self.url:
            try:
                validate_subscriber_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.messages}) from None

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def disable(self, reason: str) -> None:
        if self.disabled_at is None:
            self.disabled_at = timezone.now()
            self.disabled_reason = reason[:500]
            self.save(update_fields=["disabled_at", "disabled_reason"])

    def enable(self) -> None:
        """Take deliveries again, with a clean count of failures in a row."""
        self.disabled_at, self.disabled_reason, self.consecutive_failures = None, "", 0
        self.save(update_fields=["disabled_at", "disabled_reason", "consecutive_failures"])
