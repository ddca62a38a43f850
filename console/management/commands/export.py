from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from actions.export import write_export


class Command(BaseCommand):
    help = (
        "Write the whole site (components, history, posts, templates, subscribers, webhooks, "
        "staff, audit log) as versioned JSON lines; restore it with import_export. "
        "Secrets (password hashes, webhook secrets, API tokens, second factors) only with "
        "--with-secrets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", default="-", help="The file to write (default -, standard output)."
        )
        parser.add_argument(
            "--with-secrets",
            action="store_true",
            help="Also write password hashes, webhook secrets, API token hashes and "
            "second-factor keys, so a restored site accepts the same credentials.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_secrets: bool = options["with_secrets"]
        if options["output"] == "-":
            if isinstance(sys.stdout, io.TextIOWrapper):  # the file is UTF-8 whatever the locale
                sys.stdout.reconfigure(encoding="utf-8")
            counts = write_export(sys.stdout, with_secrets=with_secrets)
        else:
            counts = _write_file(Path(options["output"]), with_secrets)
        total = sum(counts.values())
        self.stderr.write(
            f"Exported {total} rows ({', '.join(f'{label}: {n}' for label, n in counts.items())})"
            + ("" if with_secrets else "; secrets left out (--with-secrets writes them)")
            + "."
        )


def _write_file(path: Path, with_secrets: bool) -> dict[str, int]:
    """Write beside the target and rename, so a failed export never looks like a whole one.
    Readable by its owner only: it holds subscribers' addresses, and perhaps secrets."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            counts = write_export(stream, with_secrets=with_secrets)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts
