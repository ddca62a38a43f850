"""The WXR file built from the seed posts, and helpers to read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from importers.wordpress import Options, read_plan

RUNBOX_WXR = Path(__file__).resolve().parents[1] / "fixtures" / "runbox.wordpress.xml"


def runbox_plan(**options: Any) -> dict[str, Any]:
    with RUNBOX_WXR.open("rb") as stream:
        return read_plan(stream, Options(file_name=RUNBOX_WXR.name, **options))


def entry(plan: dict[str, Any], source_id: str) -> dict[str, Any]:
    return next(item for item in plan["items"] if item["source_id"] == source_id)
