from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifier.channels.base import TransportError
from notifier.mirror.targets import configured_targets


class Command(BaseCommand):
    help = "Render the whole public site to every configured mirror target."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--target", help="Only this target (a channel name).")

    def handle(self, *args: Any, **options: Any) -> None:
        targets = configured_targets()
        if options["target"]:
            targets = [c for c in targets if c.name == options["target"]]
        if not targets:
            raise CommandError("No mirror target is configured (see MIRROR_* in the README).")
        failed = []
        for target in targets:
            try:
                self.stdout.write(f"{target.name}: {target.build(full=True)}")
            except TransportError as error:
                failed.append(target.name)
                self.stderr.write(f"{target.name}: failed: {error}")
        if failed:
            raise CommandError(f"{len(failed)} target(s) failed: {', '.join(failed)}")
