"""New posts and incidents of a WordPress plan, written in batches.

One act per post or incident (publish_post, open_incident and its updates) costs some 25 ms
an item: 10,000 posts would take minutes. New published posts go through backfill_posts and
new incidents through backfill_incidents, BATCH at a time, so memory stays flat and a batch
takes a few statements. What else a plan holds (drafts, maintenance, posts imported before)
is written one by one as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

import actions
from actions.backfill_posts import PastPost, PastPostRefused, backfill_posts
from actions.backfill_windows import PastWindow, PastWindowRefused, backfill_windows
from importers.models import SourceKey, TargetKind
from incidents.models import (
    Category,
    Impact,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceStatus,
    Tag,
)

BATCH = 200
Entry = Mapping[str, Any]


class ItemError(ValueError):
    """An entry of the plan the actions refused; the message names the entry."""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def author_named(login: str) -> AbstractBaseUser | None:
    # Matched to an existing account by login; an import creates no accounts.
    return get_user_model().objects.filter(username=login).first() if login else None


class Batches:
    """Collects new posts and incidents; `flush` writes them (ItemError names a refused one)."""

    def __init__(self, source: str, resolved_without_words: str):
        self.source = source
        self.resolved_without_words = resolved_without_words
        self.posts: list[tuple[Entry, PastPost]] = []
        self.incidents: list[tuple[Entry, actions.PastIncident]] = []
        self.windows: list[tuple[Entry, PastWindow]] = []
        self.categories: dict[tuple[str, str], Category] = {}
        self.tags: dict[str, Tag] = {}
        self.authors: dict[str, AbstractBaseUser | None] = {}
        # Nothing imported from this site yet: no entry needs looking up.
        self.first_import = not SourceKey.objects.filter(source=source).exists()

    def author(self, login: str) -> AbstractBaseUser | None:
        if login not in self.authors:
            self.authors[login] = author_named(login)
        return self.authors[login]

    def _categories(self, entry: Entry) -> list[Category]:
        pairs = [(c["slug"], c["name"]) for c in entry["categories"]]
        for pair in pairs:
            if pair not in self.categories:
                self.categories[pair] = actions.categories_named([pair])[0]
        return [self.categories[pair] for pair in pairs]

    def _tags(self, entry: Entry) -> list[Tag]:
        for name in entry["tags"]:
            if name not in self.tags:
                found = actions.tags_named([name])
                if found:
                    self.tags[name] = found[0]
        return [self.tags[name] for name in entry["tags"] if name in self.tags]

    def add_post(self, entry: Entry) -> None:
        past = PastPost(
            title=entry["title"],
            slug=entry["slug"],
            body=entry["body"],
            published_at=_at(entry["published_at"]),
            categories=self._categories(entry),
            tags=self._tags(entry),
            author=self.author(entry["author"]),
        )
        self.posts.append((entry, past))
        if len(self.posts) >= BATCH:
            self.flush_posts()

    def add_incident(self, entry: Entry) -> None:
        updates = list(entry["updates"])
        opened_at, first_body = _at(entry["published_at"]), entry["intro"]
        if not first_body and updates:
            first = updates.pop(0)
            opened_at, first_body = _at(first["at"]), first["body"]
        elif updates:
            opened_at = min(opened_at, _at(updates[0]["at"]))
        resolving = updates.pop() if updates else None
        steps = [actions.PastUpdate(IncidentStatus.INVESTIGATING, first_body, opened_at, {})]
        steps += [
            actions.PastUpdate(IncidentStatus.INVESTIGATING, u["body"], _at(u["at"]), {})
            for u in updates
        ]
        # An imported incident is history: it ends resolved, so it never shows as current.
        steps.append(
            actions.PastUpdate(
                IncidentStatus.RESOLVED,
                resolving["body"] if resolving else self.resolved_without_words,
                _at(resolving["at"]) if resolving else opened_at,
                {},
            )
        )
        past = actions.PastIncident(entry["event_title"], Impact.MINOR, opened_at, steps)
        self.incidents.append((entry, past))
        if len(self.incidents) >= BATCH:
            self.flush_incidents()

    def add_window(self, entry: Entry) -> None:
        updates = [(u["body"], _at(u["at"])) for u in entry["updates"]]
        start, end = updates[0][1], updates[-1][1]
        postponed = entry["state"] == "postponed"
        past = PastWindow(
            title=entry["event_title"],
            body=entry["intro"],
            scheduled_start=start,
            scheduled_end=end,
            posted_at=min(_at(entry["published_at"]), start),
            updates=updates,
            final_status=MaintenanceStatus.POSTPONED if postponed else MaintenanceStatus.COMPLETED,
            author=self.author(entry["author"]),
        )
        self.windows.append((entry, past))
        if len(self.windows) >= BATCH:
            self.flush_windows()

    def flush(self) -> None:
        self.flush_posts()
        self.flush_incidents()
        self.flush_windows()

    def flush_windows(self) -> None:
        batch, self.windows = self.windows, []
        if not batch:
            return
        try:
            written = backfill_windows([past for _, past in batch])
        except PastWindowRefused as error:
            entry = batch[error.index][0]
            raise ItemError(f"{entry['label']}: {'; '.join(error.messages)}") from error
        SourceKey.objects.bulk_create(
            self._key(entry, TargetKind.MAINTENANCE, maintenance=window)
            for (entry, _), (window, _) in zip(batch, written, strict=True)
        )

    def flush_posts(self) -> None:
        batch, self.posts = self.posts, []
        if not batch:
            return
        try:
            posts = backfill_posts([past for _, past in batch])
        except PastPostRefused as error:
            entry = batch[error.index][0]
            raise ItemError(f"{entry['label']}: {'; '.join(error.messages)}") from error
        SourceKey.objects.bulk_create(
            self._key(entry, TargetKind.POST, post=post)
            for (entry, _), post in zip(batch, posts, strict=True)
        )

    def flush_incidents(self) -> None:
        batch, self.incidents = self.incidents, []
        if not batch:
            return
        try:
            written = actions.backfill_incidents([past for _, past in batch])
        except actions.PastIncidentRefused as error:
            entry = batch[error.index][0]
            raise ItemError(f"{entry['label']}: {'; '.join(error.messages)}") from error
        SourceKey.objects.bulk_create(
            self._key(entry, TargetKind.INCIDENT, incident=incident)
            for (entry, _), (incident, _) in zip(batch, written, strict=True)
        )
        # The acts would have signed each update with the post's author.
        by_author: dict[AbstractBaseUser, list[int]] = {}
        for (entry, _), (incident, _) in zip(batch, written, strict=True):
            if (author := self.author(entry["author"])) is not None:
                by_author.setdefault(author, []).append(incident.pk)
        for author, incident_ids in by_author.items():
            IncidentUpdate.objects.filter(incident_id__in=incident_ids).update(author=author)

    def _key(self, entry: Entry, kind: str, **row: Any) -> SourceKey:
        return SourceKey(
            source=self.source,
            kind=kind,
            source_id=entry["source_id"],
            source_path=entry["old_path"],
            imported_at=timezone.now(),
            **row,
        )
