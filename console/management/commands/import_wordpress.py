from __future__ import annotations

from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from importers.errors import SourceError
from importers.review import describe
from importers.wordpress import Options, read_plan_items, source_name
from importers.wordpress_apply import ItemError, apply_plan
from importers.wxr import WxrChannel
from incidents.auditing import acting_via


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR): posts, and status posts as incidents and maintenance. "
        "Nobody is notified; importing the same site again updates instead of duplicating. "
        "Example: import_wordpress blog.xml --zone Europe/Oslo --dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export file WordPress wrote (Tools > Export).")
        parser.add_argument(
            "--zone",
            help="The zone of the site's times, for posts exported without wp:post_date_gmt.",
        )
        parser.add_argument(
            "--status-category",
            default="status",
            help="The category (its slug) of posts about incidents and maintenance.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be written; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            zone = ZoneInfo(options["zone"]) if options["zone"] else None
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"--zone: {options['zone']!r} is not a time zone.") from None
        read = Options(
            file_name=options["file"], zone=zone, status_category=options["status_category"]
        )
        try:
            with open(options["file"], "rb") as stream:
                self._import(stream, read, dry_run=options["dry_run"])
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror}") from None
        except (SourceError, ItemError) as error:
            raise CommandError(f"{error} Nothing was imported.") from None

    def _import(self, stream: Any, read: Options, *, dry_run: bool) -> None:
        channel = WxrChannel()
        entries = read_plan_items(stream, read, channel)
        first = next(entries, None)
        if not channel.site_url:
            raise SourceError(read.file_name, "", "names no site (no <link> in its <channel>)")
        everything = chain([first] if first else [], entries)
        if dry_run:
            for entry in everything:
                self.stdout.write("\n".join(describe(entry, entry["kind"])))
            self.stdout.write("Dry run: nothing was written.")
            return
        with acting_via("manage.py import_wordpress"), transaction.atomic():
            outcome = apply_plan(source_name(channel.site_url), everything)
        counts = ", ".join(f"{count} {what}" for what, count in sorted(outcome.items()))
        self.stdout.write(f"Imported from {channel.site_url}: {counts or 'nothing'}.")
