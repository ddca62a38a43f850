"""One row that changes whenever anything shown on the public site changes.

Public pages are cached under its token, so a reader never sees a stale page
and a busy status page costs one small query per request.
"""

from __future__ import annotations

import uuid
from typing import cast

from django.db import connection, models
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
        # Every public request asks this before its cached page: one short statement, written
        # out, costs a tenth of what building it through the ORM does.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT token FROM {connection.ops.quote_name(cls._meta.db_table)} WHERE id = 1"  # noqa: S608
            )
            row = cursor.fetchone()
        token_field = cast(models.UUIDField, cls._meta.get_field("token"))
        return str(token_field.to_python(row[0])) if row else "empty"

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(token=uuid.uuid4(), changed_at=timezone.now())
        if not updated:
            cls.objects.get_or_create(pk=1)

    @classmethod
    def renew_token(cls) -> None:
        """A new token, so cached pages render again, without a new `changed_at`: for
        figures that move with the clock (the uptime rollups), not a change anyone made
        (the API's `updated_at` and `Last-Modified` stay the last real change)."""
        if not cls.objects.filter(pk=1).update(token=uuid.uuid4()):
            cls.objects.get_or_create(pk=1)
