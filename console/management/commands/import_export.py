from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from actions.export import RestoreError, restore_export


class Command(BaseCommand):
    help = (
        "Load a file written by `manage.py export` into an empty site (a new database after "
        "`manage.py migrate`), keeping every row's id. All or nothing; no notice is sent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export to load (- reads standard input).")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        try:
            if source == "-":
                report = restore_export(sys.stdin.buffer)
            else:
                with Path(source).open("rb") as stream:
                    report = restore_export(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {source}: {error.strerror}.") from None
        except RestoreError as error:
            raise CommandError(f"{source}: {error} Nothing was imported.") from None
        self.stdout.write(f"Imported {sum(report.counts.values())} rows ({report.summary()}).")
