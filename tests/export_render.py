"""Render every public page and API document at one fixed instant.

Imported by tests/test_export_round_trip.py; also run as a script (in a process of its own,
on another database) to write a site's pages into a JSON file:
    python -m tests.export_render PAGES.json ISO-INSTANT
Pages that say "now" (a feed with no entries is as new as the moment it is read) are read
with the clock stopped, so two renders of the same data are the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime
import sys
import types
from collections.abc import Iterator
from unittest import mock

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@contextlib.contextmanager
def frozen_clock(instant: datetime.datetime) -> Iterator[None]:
    """Django's timezone.now and the feed generator's clock both read `instant`."""
    from django.utils import feedgenerator

    class StoppedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> StoppedDatetime:
            moment = instant.astimezone(tz) if tz else instant.replace(tzinfo=None)
            return cls.fromisoformat(moment.isoformat())

    stopped = types.ModuleType("datetime")
    stopped.__dict__.update(datetime.__dict__)
    stopped.datetime = StoppedDatetime  # type: ignore[attr-defined]
    with (
        mock.patch("django.utils.timezone.now", lambda: instant),
        mock.patch.object(feedgenerator, "datetime", stopped),
    ):
        yield


def render_site(instant: datetime.datetime) -> dict[str, bytes]:
    """Every page the mirror would hold, as a reader gets it, nothing from the cache."""
    from django.core.cache import caches
    from django.test import Client

    from notifier.mirror.site import every_url

    for cache in caches.all():
        cache.clear()
    client = Client()
    pages = {}
    with frozen_clock(instant):
        for url in every_url():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            pages[url] = response.content
    return pages


def main(output: str, instant: str) -> None:
    import json

    import django

    django.setup()
    from django.test import override_settings

    with override_settings(STORAGES=PLAIN_STATIC, ALLOWED_HOSTS=["testserver"]):
        pages = render_site(datetime.datetime.fromisoformat(instant))
    with open(output, "w", encoding="utf-8") as out:
        json.dump({url: body.decode() for url, body in pages.items()}, out)


def empty_the_database() -> None:
    """`manage.py flush`, inside the test's transaction: on PostgreSQL the foreign keys
    checked at commit are checked first, as TRUNCATE refuses a table with checks pending."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    call_command("flush", interactive=False, verbosity=0)


if __name__ == "__main__":
    main(*sys.argv[1:])
