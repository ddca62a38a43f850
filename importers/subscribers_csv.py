"""Statuspage's subscriber CSV, read row by row (a list of any length stays flat in memory).

Two forms are read. Statuspage's import template has no header; its first column says the
kind: `email,ADDRESS[,skip confirmation][,components...]`, `sms,PHONE,COUNTRY[,components...]`,
`webhook,URL,CONTACT EMAIL`. An export with a header row names its columns: the kind
(`Type` or `Mode`), `Email`, `Phone` and its `Country` (Statuspage's phone_number and
phone_country), `Endpoint` (or `URL`), the consent time (`Confirmed At`, `Subscribed At` or
`Created At`) and `Components` (names, separated by `;` or `|`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from importers.history_items import SourceError, optional_time
from importers.subscriber_writer import SubscriberItem

KINDS = ("email", "sms", "webhook", "slack", "teams")
COLUMNS = {
    "kind": ("type", "mode", "subscription type", "subscriber type"),
    "email": ("email", "email address"),
    "phone": ("phone", "phone number", "phone_number"),
    "country": ("country", "phone country", "phone_country"),
    "endpoint": ("endpoint", "url", "webhook", "webhook url"),
    "consent": ("confirmed at", "subscribed at", "created at", "created_at", "confirmed_at"),
    "components": ("components", "component names", "subscribed components"),
}


def read_subscribers_csv(path: Path, zone: ZoneInfo | None = None) -> Iterator[SubscriberItem]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise SourceError(str(path), f"cannot be read ({error.strerror})") from None
    with handle:
        rows = csv.reader(handle)
        try:
            head = next(rows, None)
            if head is None:
                return
            if head and head[0].strip().lower() in KINDS:
                yield _template_row(head, f"{path.name}, line 1")
                for row in rows:
                    if any(cell.strip() for cell in row):
                        yield _template_row(row, f"{path.name}, line {rows.line_num}")
                return
            columns = _columns(head, path.name)
            for row in rows:
                if any(cell.strip() for cell in row):
                    where = f"{path.name}, line {rows.line_num}"
                    yield _named_row(dict(zip(columns, row, strict=False)), where, zone)
        except UnicodeDecodeError as error:
            raise SourceError(path.name, f"is not UTF-8 (byte {error.start})") from None
        except csv.Error as error:
            raise SourceError(f"{path.name}, line {rows.line_num}", f"not CSV: {error}") from None


def _template_row(row: list[str], where: str) -> SubscriberItem:
    cells = [cell.strip() for cell in row] + ["", ""]
    kind = cells[0].lower()
    if kind not in KINDS:
        raise SourceError(where, f"unknown subscriber kind {cells[0]!r} (expected {KINDS})")
    if kind == "webhook":
        return SubscriberItem(where, kind, cells[1], contact_email=cells[2])
    names = [c for c in cells[3:] if c] if kind in ("email", "sms") else []
    country = cells[2] if kind == "sms" else ""
    return SubscriberItem(where, kind, cells[1], country=country, component_names=names)


def _columns(head: list[str], file_name: str) -> list[str]:
    named = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    columns = [named.get(" ".join(cell.split()).lower(), "") for cell in head]
    if not {"email", "phone", "endpoint"} & set(columns):
        raise SourceError(
            file_name, "has no Email, Phone or Endpoint column (nor a template's kind column)"
        )
    return columns


def _named_row(cells: dict[str, str], where: str, zone: ZoneInfo | None) -> SubscriberItem:
    cells = {key: value.strip() for key, value in cells.items() if key}
    kind = cells.get("kind", "").lower() or next(
        (
            k
            for k, column in (("email", "email"), ("webhook", "endpoint"), ("sms", "phone"))
            if cells.get(column)
        ),
        "",
    )
    if kind not in KINDS:
        raise SourceError(where, f"unknown subscriber kind {kind!r} (expected {KINDS})")
    address = {"email": "email", "webhook": "endpoint", "sms": "phone"}.get(kind, "email")
    names = [n.strip() for n in cells.get("components", "").replace("|", ";").split(";")]
    return SubscriberItem(
        where=where,
        kind=kind,
        address=cells.get(address, ""),
        contact_email=cells.get("email", "") if kind == "webhook" else "",
        country=cells.get("country", "") if kind == "sms" else "",
        consented_at=optional_time(cells.get("consent"), zone, where),
        component_names=[n for n in names if n],
    )
