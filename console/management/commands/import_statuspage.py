"""Import an Atlassian Statuspage page: its v2 JSON files or its address, and subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.management.import_output import add_common_arguments, run_import, zone_of
from importers.imports import import_statuspage


class Command(BaseCommand):
    help = (
        "Import components, groups, incidents with every update and maintenance from "
        "Statuspage's v2 JSON (files, a folder of them, or --url of the page), and subscribers "
        "from its CSV export. Nobody is notified; importing again updates, never duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, metavar="PATH")
        parser.add_argument("--url", default="", help="the page's https:// address")
        parser.add_argument("--subscribers", type=Path, metavar="CSV")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["url"]) == bool(options["paths"]):
            raise CommandError("Give either --url or one or more files or folders.")
        run_import(
            self,
            options["dry_run"],
            lambda say: import_statuspage(
                options["paths"],
                url=options["url"],
                subscribers_csv=options["subscribers"],
                zone=zone_of(options),
                dry_run=options["dry_run"],
                keep_consent=options["keep_consent"],
                say=say,
            ),
        )
