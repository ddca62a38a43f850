"""Tokens for the staff API: shown once, stored as a SHA-256 hash, scoped and revocable.

A token reads `sp_<prefix>_<secret>`. The prefix is stored in clear so a
token can be found (and recognised in the admin) without storing anything
that grants access; the hash of the whole token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_PREFIX = "sp_"
# How stale last_used_at may get before a request writes it again (one write per minute at most).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(models.TextChoices):
    READ = "read", "Read incidents, maintenance and components"
    INCIDENTS = "incidents", "Open, update and resolve incidents"
    MAINTENANCE = "maintenance", "Schedule and move maintenance"
    COMPONENTS = "components", "Set component statuses"


def validate_scopes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValidationError("Scopes are a list of names.")
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(f"Unknown scope: {unknown[0]} (use {', '.join(Scope.values)}).")


def bearer_token(authorization: str) -> str:
    """The token an `Authorization: Bearer <token>` header presents ("" when it presents none)."""
    scheme, _, presented = authorization.partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else ""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def accepted(self) -> ApiTokenQuerySet:
        """Active, and not of a deactivated author: the tokens the staff API answers to."""
        return self.active().exclude(created_by__is_active=False)

    def hashes(self) -> list[str]:
        return list(self.values_list("token_hash", flat=True))


class ApiToken(models.Model):
    name = models.CharField(max_length=100, help_text="Who or what uses it, e.g. “Nagios”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, validators=[validate_scopes])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Updates posted with this token name this user as their author.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last call refused although the token was genuine: disabled, or lacking a scope.
    last_refused_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_refusal = models.CharField(max_length=200, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.prefix}_…)"

    @classmethod
    def issue(
        cls, name: str, scopes: list[str], *, created_by: User | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token; the returned secret is the only time it is ever seen."""
        scopes = sorted(set(scopes))
        validate_scopes(scopes)
        if not name.strip():
            raise ValidationError({"name": "Name the token after who or what uses it."})
        token = cls(name=name.strip(), scopes=scopes, created_by=created_by)
        secret = token.new_secret()
        token.save()
        return token, secret

    def new_secret(self) -> str:
        """Give this (unsaved) token a fresh secret and return it; only its hash is kept."""
        self.prefix = secrets.token_hex(6)
        secret = f"{TOKEN_PREFIX}{self.prefix}_{secrets.token_urlsafe(32)}"
        self.token_hash = _digest(secret)
        return secret

    @classmethod
    def authenticate(cls, presented: str) -> ApiToken | None:
        """The active token `presented` belongs to, or None. Records when it was used."""
        if not cls.well_formed(presented):
            return None
        prefix = presented[len(TOKEN_PREFIX) :].split("_", 1)[0]
        token = cls.objects.select_related("created_by").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.token_hash, _digest(presented)):
            return None
        if not token.is_active:
            token.refused("Used while disabled.")
            return None
        if token.author_deactivated:
            # Checked at every call, so it holds however the account was deactivated.
            token.refused("Used while its author's account is deactivated.")
            return None
        token.touch()
        return token

    @staticmethod
    def well_formed(presented: str) -> bool:
        return presented.startswith(TOKEN_PREFIX) and len(presented) <= 200

    @staticmethod
    def digest(presented: str) -> str:
        """What is stored of a token: compare this, never the token itself."""
        return _digest(presented)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def author_deactivated(self) -> bool:
        """Its author's account is deactivated: the token acts for nobody and is refused."""
        return self.created_by is not None and not self.created_by.is_active

    @property
    def accepted(self) -> bool:
        return self.is_active and not self.author_deactivated

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def touch(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            self.last_used_at = now
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)

    def refused(self, why: str) -> None:
        """Note a refused call (at most one write a minute, however many are refused)."""
        now = timezone.now()
        if self.last_refused_at is None or now - self.last_refused_at >= LAST_USED_RESOLUTION:
            self.last_refused_at, self.last_refusal = now, why[:200]
            type(self).objects.filter(pk=self.pk).update(
                last_refused_at=now, last_refusal=self.last_refusal
            )

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def restore(self) -> None:
        """Accept a disabled token again (same secret)."""
        if self.revoked_at is not None:
            self.revoked_at = None
            self.save(update_fields=["revoked_at"])
