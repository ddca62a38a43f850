"""Write the site as JSON lines: a header, then one line per row, model by model.

Rows are read with .iterator() from one snapshot of the database and written as they come,
so memory stays flat however much history there is, and a write made meanwhile cannot leave
the file with an update whose incident it lacks.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from actions.export.catalogue import EXPORTED, Exported
from actions.export.rows import m2m_members, plain_m2m, row_fields

FORMAT = "statuspage-export"
VERSION = 1
CHUNK = 500


def written(entry: Exported, with_secrets: bool) -> bool:
    return with_secrets or not entry.secret_only


def _rows(entry: Exported, with_secrets: bool) -> Iterator[dict[str, object]]:
    model = entry.model
    skipped = set(entry.fresh_fields) | (set() if with_secrets else set(entry.secret_fields))
    m2m = plain_m2m(model)
    rows = model._default_manager.order_by("pk").iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(rows, CHUNK)):
        pks = [obj.pk for obj in chunk]
        members = {relation.name: m2m_members(relation, pks) for relation in m2m}
        for obj in chunk:
            values = {name: of_row.get(obj.pk, []) for name, of_row in members.items()}
            yield {"model": entry.label, "pk": obj.pk, "fields": row_fields(obj, skipped, values)}


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the database for the whole export, without blocking writers."""
    if connection.vendor == "sqlite":
        # Django's SQLite transactions begin IMMEDIATE (taking the write lock); a deferred
        # read transaction in WAL mode is a snapshot that lets writers go on.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_lines(*, with_secrets: bool = False) -> Iterator[str]:
    """The export, line by line (each ends with a newline)."""
    entries = [entry for entry in EXPORTED if written(entry, with_secrets)]
    in_atomic = connection.in_atomic_block
    with contextlib.nullcontext() if in_atomic else _snapshot():
        header = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "with_secrets": with_secrets,
            "counts": {e.label: e.model._default_manager.count() for e in entries},
        }
        yield json.dumps(header) + "\n"
        for entry in entries:
            for row in _rows(entry, with_secrets):
                yield json.dumps(row, ensure_ascii=False) + "\n"


def write_export(stream: IO[str], *, with_secrets: bool = False) -> dict[str, int]:
    """Write the export to `stream`; return how many rows of each model it holds."""
    lines = export_lines(with_secrets=with_secrets)
    header = next(lines)
    stream.write(header)
    for line in lines:
        stream.write(line)
    counts: dict[str, int] = json.loads(header)["counts"]
    return counts
