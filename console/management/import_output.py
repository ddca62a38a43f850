"""What the import commands share: reading --zone, running an import, printing its report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from importers.history_items import SourceError
from importers.history_writer import ImportReport


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--zone",
        help="the zone of source times written without one (Cachet writes all its times so)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be written, write nothing"
    )
    parser.add_argument(
        "--keep-consent",
        action="store_true",
        help="store subscribers whose consent time the source records as confirmed then, "
        "instead of asking them to confirm again",
    )


def zone_of(options: dict[str, Any]) -> ZoneInfo | None:
    if not options.get("zone"):
        return None
    try:
        return ZoneInfo(options["zone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"--zone {options['zone']!r} is not a time zone name") from None


def run_import(command: BaseCommand, dry_run: bool, run: Callable[..., ImportReport]) -> None:
    say = command.stdout.write if dry_run else None
    try:
        report = run(say=say)
    except SourceError as error:
        raise CommandError(f"Nothing was imported. {error}") from None
    heading = "Dry run: nothing was written. It would do:" if dry_run else "Imported:"
    command.stdout.write(heading)
    for line in report.summary():
        command.stdout.write(f"  {line}")
