"""One row that changes whenever anything shown on the public site changes.

Public pages are cached under its token, so a reader never sees a stale page
and a busy status page costs one small query per request.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class PublicationState(models.Model):
    # Random rather than a counter, so a token never repeats after a rollback or restore.
    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "publication state"

    def __str__(self) -> str:
        return f"{self.token} at {self.changed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def current_token(cls) -> str:
        token = cls.objects.filter(pk=1).values_list("token", flat=True).first()
        return str(token) if token is not None else "empty"

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(token=uuid.uuid4(), changed_at=timezone.now())
        if not updated:
            cls.objects.get_or_create(pk=1)
