"""Run the embedded SMTP server of the default settings until stopped (`manage.py serve` does).

It listens on loopback only, accepts any sender and recipient and delivers nothing: every mail
is kept in the outbox Maildir for the console's Outbox page (notifier/outbox.py).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from notifier.outbox import KeepingHandler


class Command(BaseCommand):
    help = "Run the embedded SMTP server that keeps every mail in VAR_DIR/outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.EMBEDDED_SMTP_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        controller = Controller(
            KeepingHandler(settings.OUTBOX_DIR),
            hostname="127.0.0.1",
            port=options["port"],
            enable_SMTPUTF8=True,
            ready_timeout=10,
        )
        try:
            controller.start()
        except (OSError, RuntimeError) as error:
            sys.exit(f"The embedded mail server cannot listen on port {options['port']}: {error}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(
            f"Embedded mail server on 127.0.0.1:{options['port']}, "
            f"keeping mail in {settings.OUTBOX_DIR}",
        )
        self.stdout.flush()
        stop.wait()
        controller.stop()
