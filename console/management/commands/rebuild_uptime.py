from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from incidents.uptime.days import roll_up_history
from incidents.uptime.replay import replay_periods


class Command(BaseCommand):
    help = (
        "Recompute every component's daily uptime rows from its status periods; with "
        "--replay, first rebuild the periods from incident and maintenance updates and the "
        "audit log (this drops periods the record does not show, such as a probe's)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--replay", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            if options["replay"]:
                replayed = replay_periods()
                self.stdout.write(f"Periods replayed for {len(replayed)} component(s).")
            rows = roll_up_history()
        self.stdout.write(f"Uptime rows written: {rows}.")
