"""Import a Cachet API dump: components, groups, incidents, schedules, subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from console.management.import_output import add_common_arguments, run_import, zone_of
from importers.imports import import_cachet


class Command(BaseCommand):
    help = (
        "Import a Cachet API dump (a folder of its JSON answers or one file holding them). "
        "Cachet's times carry no zone: give it with --zone. Nobody is notified."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, metavar="PATH")
        parser.add_argument(
            "--source",
            default="cachet",
            help="a name for this Cachet site, so two sites' items are told apart",
        )
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_import(
            self,
            options["dry_run"],
            lambda say: import_cachet(
                options["path"],
                source=options["source"],
                zone=zone_of(options),
                dry_run=options["dry_run"],
                keep_consent=options["keep_consent"],
                say=say,
            ),
        )
