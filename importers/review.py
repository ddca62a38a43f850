"""What a plan entry will become, in words and site-zone times, for the console and the command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from importers.wordpress import DRAFT, INCIDENT, MAINTENANCE, SCHEDULED
from importers.wordpress_apply import RESOLVED_WITHOUT_WORDS
from incidents.timefmt import stamp


@dataclass(frozen=True)
class Step:
    at: str  # in the site zone, with its abbreviation
    written: str  # as the post wrote it
    what: str
    body: str


def _at(text: str) -> str:
    return stamp(datetime.fromisoformat(text))


def steps(entry: Mapping[str, Any], kind: str) -> list[Step]:
    """The updates the entry will have as `kind` (none for a post)."""
    updates = list(entry["updates"])
    if kind == INCIDENT:
        opened = [Step(_at(entry["published_at"]), "", "opened", entry["intro"])]
        if not entry["intro"] and updates:
            first = updates.pop(0)
            opened = [Step(_at(first["at"]), first["written"], "opened", first["body"])]
        rest = [Step(_at(u["at"]), u["written"], "update", u["body"]) for u in updates]
        if rest:
            last = rest[-1]
            rest[-1] = Step(last.at, last.written, "resolved", last.body)
        else:
            opened.append(Step(opened[0].at, "", "resolved", RESOLVED_WITHOUT_WORDS))
        return opened + rest
    if kind == MAINTENANCE:
        final = "postponed" if entry["state"] == "postponed" else "completed"
        whats = ["started"] + ["note"] * (len(updates) - 2) + [final]
        return [Step(_at(entry["published_at"]), "", "scheduled", entry["intro"])] + [
            Step(_at(u["at"]), u["written"], what, u["body"])
            for u, what in zip(updates, whats, strict=True)
        ]
    return []


def publication(entry: Mapping[str, Any]) -> str:
    if entry["publication"] == DRAFT:
        return "draft"
    at = _at(entry["published_at"])
    return f"to be published {at}" if entry["publication"] == SCHEDULED else f"published {at}"


def describe(entry: Mapping[str, Any], kind: str) -> list[str]:
    """Plain lines for the command's --dry-run."""
    if kind == "skip":
        return [f"{entry['label']}: skipped"]
    title = entry["title"] if kind == "post" else entry["event_title"]
    lines = [f"{entry['label']} -> {kind}: {title!r} ({publication(entry)})"]
    if entry["note"]:
        lines.append(f"    note: {entry['note']}")
    for step in steps(entry, kind):
        written = f" [{step.written}]" if step.written else ""
        lines.append(f"    {step.at}{written} {step.what}: {step.body[:70]!r}")
    return lines
