"""Writing a WordPress plan through the actions: backdated, telling nobody, all or nothing.

Each post's SourceKey is looked up first, so a second import of the same site updates
its posts and leaves its incidents and maintenance as they are, never duplicating them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import actions
from actions.steps import Author
from importers.models import SourceKey, TargetKind
from importers.wordpress import DRAFT, INCIDENT, KINDS, POST, SKIP
from incidents.models import Impact, Incident, IncidentStatus, Maintenance, Post

NOBODY: list[str] = []  # an import never notifies: every act gets no channels
RESOLVED_WITHOUT_WORDS = "Resolved (marked so in the title of the original post)."


class ItemError(ValueError):
    """An entry of the plan the actions refused; the message names the entry."""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _author(login: str) -> AbstractBaseUser | None:
    # Matched to an existing account by login; an import creates no accounts.
    return get_user_model().objects.filter(username=login).first() if login else None


def _key(source: str, entry: Mapping[str, Any], kind: str, row: Any) -> None:
    SourceKey.objects.create(
        source=source,
        kind=kind,
        source_id=entry["source_id"],
        source_path=entry["old_path"],
        imported_at=timezone.now(),
        **{kind: row},
    )


def _post(source: str, entry: Mapping[str, Any], existing: SourceKey | None) -> str:
    links = {
        "title": entry["title"],
        "slug": entry["slug"],
        "body": entry["body"],
        "categories": actions.categories_named((c["slug"], c["name"]) for c in entry["categories"]),
        "tags": actions.tags_named(entry["tags"]),
        "author": _author(entry["author"]),
    }
    if existing is not None:
        post: Post = existing.post  # type: ignore[assignment]
        actions.update_post(post, **links)
        return "updated"
    if entry["publication"] == DRAFT:
        post = actions.save_post_draft(**links)
    else:
        post = actions.publish_post(
            **links, published_at=_at(entry["published_at"]), channels=NOBODY
        )
    _key(source, entry, TargetKind.POST, post)
    return "created"


def _incident(source: str, entry: Mapping[str, Any], author: Author) -> Incident:
    updates = list(entry["updates"])
    opened_at = _at(entry["published_at"])
    first_body = entry["intro"]
    if not first_body and updates:
        first = updates.pop(0)
        opened_at, first_body = _at(first["at"]), first["body"]
    elif updates:
        opened_at = min(opened_at, _at(updates[0]["at"]))
    incident = actions.open_incident(
        title=entry["event_title"],
        body=first_body,
        impact=Impact.MINOR,
        posted_at=opened_at,
        author=author,
        channels=NOBODY,
    )
    resolving = updates.pop() if updates else None
    for update in updates:
        actions.post_incident_update(
            incident,
            status=IncidentStatus.INVESTIGATING,
            body=update["body"],
            posted_at=_at(update["at"]),
            author=author,
            channels=NOBODY,
        )
    # An imported incident is history: it ends resolved, so it never shows as current.
    actions.resolve_incident(
        incident,
        body=resolving["body"] if resolving else RESOLVED_WITHOUT_WORDS,
        posted_at=_at(resolving["at"]) if resolving else opened_at,
        author=author,
        channels=NOBODY,
    )
    return incident


def _maintenance(source: str, entry: Mapping[str, Any], author: Author) -> Maintenance:
    updates = list(entry["updates"])
    start, end = _at(updates[0]["at"]), _at(updates[-1]["at"])
    maintenance = actions.schedule_maintenance(
        title=entry["event_title"],
        body=entry["intro"],
        scheduled_start=start,
        scheduled_end=end,
        posted_at=min(_at(entry["published_at"]), start),
        author=author,
        auto_start=False,
        auto_complete=False,
        channels=NOBODY,
    )
    first, *middle, last = updates
    actions.start_maintenance(
        maintenance, body=first["body"], posted_at=start, author=author, channels=NOBODY
    )
    for update in middle:
        actions.post_maintenance_note(
            maintenance,
            body=update["body"],
            posted_at=_at(update["at"]),
            author=author,
            channels=NOBODY,
        )
    finish = (
        actions.postpone_maintenance
        if entry["state"] == "postponed"
        else actions.complete_maintenance
    )
    finish(maintenance, body=last["body"], posted_at=end, author=author, channels=NOBODY)
    return maintenance


def _event(source: str, entry: Mapping[str, Any], kind: str, existing: SourceKey | None) -> str:
    if existing is not None:
        return "kept"  # already imported: its updates are history, not rewritten
    author = _author(entry["author"])
    if kind == INCIDENT:
        _key(source, entry, TargetKind.INCIDENT, _incident(source, entry, author))
    else:
        _key(source, entry, TargetKind.MAINTENANCE, _maintenance(source, entry, author))
    return "created"


def apply_entry(source: str, entry: Mapping[str, Any], kind: str) -> str:
    """Write one entry as `kind`; what happened ("created", "updated", "kept", "skipped")."""
    if kind == SKIP:
        return "skipped"
    if kind not in entry["possible_kinds"]:
        raise ItemError(f"{entry['label']}: cannot become {kind!r}.")
    existing = (
        SourceKey.objects.filter(source=source, source_id=entry["source_id"], kind__in=KINDS)
        .select_related("post")
        .first()
    )
    if existing is not None and existing.kind != kind:
        return "kept"  # imported before as another kind: left as it is
    try:
        if kind == POST:
            return _post(source, entry, existing)
        return _event(source, entry, kind, existing)
    except ValidationError as error:
        problems = "; ".join(error.messages)
        raise ItemError(f"{entry['label']}: {problems}") from error


@transaction.atomic
def apply_plan(
    source: str, entries: Iterable[Mapping[str, Any]], choices: Mapping[str, str] | None = None
) -> Counter[str]:
    """Write every entry (as staff chose, else as proposed) in one transaction."""
    outcome: Counter[str] = Counter()
    for entry in entries:
        kind = (choices or {}).get(entry["source_id"], entry["kind"])
        outcome[apply_entry(source, entry, kind)] += 1
    return outcome
