"""Load an export into an empty site, all or nothing, keeping every row's key.

Rows are written as they are read (a batch at a time), with the values the file gives:
no signal is sent and no act runs, so no notice is recorded and nothing is told to anyone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction

from actions.export.catalogue import EVERY_ROW, EXPORTED, Exported, entry_for
from actions.export.rows import (
    RowError,
    concrete_fields,
    m2m_keys,
    plain_m2m,
    python_value,
    through_model,
)
from actions.export.writing import FORMAT, VERSION
from incidents.models import PublicationState
from incidents.uptime.window import roll_up_windows

BATCH = 500


class RestoreError(ValueError):
    """The file cannot be restored; the message says where and why. Nothing was written."""


class SiteNotEmpty(RestoreError):
    pass


@dataclass
class RestoreReport:
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return ", ".join(f"{label}: {n}" for label, n in self.counts.items()) or "nothing"


def _seeded_rows(entry: Exported) -> models.QuerySet[Any]:
    rows = entry.model._default_manager.all()
    if entry.seeded is None:
        return rows.none()
    if entry.seeded == EVERY_ROW:
        return rows
    key, values = entry.seeded
    return rows.filter(**{f"{key}__in": values})


def site_contents() -> dict[str, int]:
    """What the site holds beyond what its migrations made: label -> rows."""
    held = {}
    for entry in EXPORTED:
        rows = entry.model._default_manager.exclude(pk__in=_seeded_rows(entry).values("pk"))
        if count := rows.count():
            held[entry.label] = count
    return held


def _decoded(lines: Iterable[bytes | str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RestoreError(f"Line {number} is not UTF-8 ({error.reason}).") from None
        yield number, line


def _parsed(number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise RestoreError(f"Line {number} is not JSON: {error.msg}.") from None
    if not isinstance(value, dict):
        raise RestoreError(f"Line {number} is not a JSON object.")
    return value


def _header(numbered: Iterator[tuple[int, str]]) -> dict[str, Any]:
    first = next(numbered, None)
    if first is None:
        raise RestoreError("The file is empty: an export starts with its header line.")
    header = _parsed(*first)
    if header.get("format") != FORMAT:
        raise RestoreError(f"Line 1 is not the header of a {FORMAT} file.")
    if header.get("version") != VERSION:
        raise RestoreError(
            f"Line 1: format version {header.get('version')!r} is not one this site reads "
            f"(it reads version {VERSION})."
        )
    counts = header.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(n, int) for n in counts.values()):
        raise RestoreError("Line 1: the header's counts are missing or not numbers.")
    return header


class _Loader:
    """Collects rows of one model at a time and inserts them a batch at once."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.position = 0
        self.entry: Exported | None = None
        self.objs: list[models.Model] = []
        self.links: dict[str, list[tuple[object, object]]] = {}
        self.first_line = 0

    def add(self, number: int, row: dict[str, Any]) -> None:
        entry = self._entry(number, row)
        if entry is not self.entry or len(self.objs) >= BATCH:
            self.flush()
            self.entry, self.first_line = entry, number
        try:
            self.objs.append(self._build(entry, row))
        except RowError as error:
            raise RestoreError(f"Line {number} ({entry.label} {row.get('pk')}): {error}.") from None
        self.counts[entry.label] = self.counts.get(entry.label, 0) + 1

    def _entry(self, number: int, row: dict[str, Any]) -> Exported:
        if set(row) != {"model", "pk", "fields"} or not isinstance(row["fields"], dict):
            raise RestoreError(f"Line {number} is not a row: it needs model, pk and fields.")
        entry = entry_for(str(row["model"]))
        if entry is None:
            raise RestoreError(f"Line {number}: unknown model {row['model']!r}.")
        position = EXPORTED.index(entry)
        if position < self.position:
            raise RestoreError(
                f"Line {number}: a {entry.label} row after {EXPORTED[self.position].label} "
                "rows; an export lists each model's rows together, in order."
            )
        self.position = position
        return entry

    def _build(self, entry: Exported, row: dict[str, Any]) -> models.Model:
        model = entry.model
        values = dict(row["fields"])
        pk = python_value(model._meta.pk, row["pk"])
        kwargs: dict[str, object] = {model._meta.pk.attname: pk}
        for model_field in concrete_fields(model):
            if model_field.name in values:
                value = values.pop(model_field.name)
                kwargs[model_field.attname] = python_value(model_field, value)
            elif (replace := entry.secret_fields.get(model_field.name)) is not None:
                kwargs[model_field.attname] = replace()
            elif not (
                model_field.has_default() or model_field.null or model_field.empty_strings_allowed
            ):
                raise RowError(f"{model_field.name} is missing")
        for relation in plain_m2m(model):
            for key in m2m_keys(relation, values.pop(relation.name, [])):
                self.links.setdefault(relation.name, []).append((pk, key))
        if values:
            raise RowError(f"{model._meta.label_lower} has no field {sorted(values)[0]!r}")
        return model(**kwargs)

    def flush(self) -> None:
        if self.entry is None or not self.objs:
            return
        model = self.entry.model
        fields = list(model._meta.concrete_fields)
        size = connection.ops.bulk_batch_size(fields, self.objs) or len(self.objs)
        try:
            with transaction.atomic():
                for start in range(0, len(self.objs), size):
                    # raw: the file's values as they are (auto_now keeps the time it names).
                    batch = self.objs[start : start + size]
                    model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
                for relation in plain_m2m(model):
                    self._link(relation, self.links.pop(relation.name, []))
        except IntegrityError as error:
            raise RestoreError(
                f"Lines {self.first_line}-{self.first_line + len(self.objs) - 1} "
                f"({model._meta.label_lower}): {error}"
            ) from None
        self.objs = []

    @staticmethod
    def _link(
        relation: models.ManyToManyField[Any, Any], pairs: list[tuple[object, object]]
    ) -> None:
        through = through_model(relation)
        source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        rows = [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in pairs]
        through._default_manager.bulk_create(rows, batch_size=BATCH)


def _check_counts(header: dict[str, Any], counts: dict[str, int]) -> None:
    for label, promised in header["counts"].items():
        if counts.get(label, 0) != promised:
            raise RestoreError(
                f"The header promises {promised} {label} rows and the file holds "
                f"{counts.get(label, 0)}: it ends early or was changed."
            )
    for label in set(counts) - set(header["counts"]):
        raise RestoreError(f"The file holds {label} rows its header does not count.")


def _check_references() -> None:
    """Every row points at a row that exists (checked now, for a message, not at commit)."""
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            connection.check_constraints()
    except IntegrityError as error:
        raise RestoreError(f"A row points at a row the file does not hold: {error}") from None


def _reset_sequences() -> None:
    tables: list[type[models.Model]] = []
    for entry in EXPORTED:
        tables.append(entry.model)
        tables += [through_model(relation) for relation in plain_m2m(entry.model)]
    statements = connection.ops.sequence_reset_sql(no_style(), tables)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@transaction.atomic
def restore_export(lines: Iterable[bytes | str]) -> RestoreReport:
    """Load an export into this site, which must hold nothing but what migrations made."""
    numbered = _decoded(lines)
    header = _header(numbered)
    if held := site_contents():
        named = ", ".join(f"{n} {label}" for label, n in held.items())
        raise SiteNotEmpty(
            f"The site is not empty ({named}). Restore into a new database: "
            "create it, run `manage.py migrate`, then import."
        )
    for entry in EXPORTED:
        _seeded_rows(entry).delete()
    loader = _Loader()
    for number, line in numbered:
        if line.strip():
            loader.add(number, _parsed(number, line))
    loader.flush()
    _check_counts(header, loader.counts)
    _check_references()
    _reset_sequences()
    roll_up_windows()  # not in the file: rolled up from the days it holds
    if not PublicationState.objects.exists():  # an export from before any change
        PublicationState.bump()
    return RestoreReport(loader.counts)
