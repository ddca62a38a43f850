"""Reading a JSON document's lists item by item, so a history of any size fits in memory.

A Statuspage or Cachet export is one document per list (every incident in one
`incidents.json`); `json.load` would hold all of it at once. ijson hands over one item at a
time. When the document is broken, the error names the file with the line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from importers.history_items import SourceError


def items(path: Path, prefix: str) -> Iterator[Any]:
    """Each item at `prefix` (ijson's notation: "incidents.item"), read one at a time."""
    with _opened(path) as source:
        try:
            yield from ijson.items(source, prefix, use_float=True)
        except ijson.JSONError:
            raise _where_broken(path) from None


def first(path: Path, prefix: str) -> Any:
    """The first value at `prefix`, or None; reads no further than it."""
    with _opened(path) as source:
        try:
            return next(ijson.items(source, prefix, use_float=True), None)
        except ijson.JSONError:
            raise _where_broken(path) from None


def _opened(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as error:
        raise SourceError(str(path), f"cannot be read ({error.strerror})") from None


def _where_broken(path: Path) -> SourceError:
    """The line and column of the fault (only when broken, so reading it whole is fine)."""
    try:
        json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        return SourceError(path.name, f"is not UTF-8 (byte {error.start} cannot be read)")
    except json.JSONDecodeError as error:
        return SourceError(
            path.name,
            f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
        )
    return SourceError(path.name, "is not valid JSON")


def a_list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(where, f"expected a list, found {type(value).__name__}")
    return value


def an_object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError(where, f"expected an object, found {type(value).__name__}")
    return value
