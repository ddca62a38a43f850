from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from actions.demo.loader import DEMO_FILE, load_demo


class Command(BaseCommand):
    help = "Load the seed history (incidents, maintenance, posts) idempotently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=DEMO_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo(options["file"])
        self.stdout.write(f"Demo data: {report.summary()}")
