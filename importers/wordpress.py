"""A WordPress export read into a plan: what each post will become, before anything is written.

The plan is plain JSON (it waits in an ImportReview until staff apply it): one entry per
post with its proposed kind (post, incident or maintenance), the kinds it could become,
and for incidents and maintenance the updates with their times. `importers.wordpress_apply`
writes it through the actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import IO, Any
from urllib.parse import unquote

from django.utils.text import slugify

from importers.errors import SourceError
from importers.update_lines import split_updates
from importers.wxr import WxrChannel, WxrItem, read_wxr

PUBLISHED, SCHEDULED, DRAFT = "published", "scheduled", "draft"
WORDPRESS_STATUSES = {
    "publish": PUBLISHED,
    "future": SCHEDULED,
    "draft": DRAFT,
    "pending": DRAFT,
    "private": DRAFT,
}
# Not posts anyone reads: left out, and counted in the plan.
LEFT_OUT_STATUSES = {"trash", "auto-draft", "inherit"}
STATE_IN_TITLE = re.compile(r"^\s*\[(resolved|completed|postponed)\]\s*", re.IGNORECASE)
POST, INCIDENT, MAINTENANCE, SKIP = "post", "incident", "maintenance", "skip"
KINDS = (POST, INCIDENT, MAINTENANCE)
# kind, possible kinds, state, title without the state, intro, timed updates, note
Proposal = tuple[str, list[str], str, str, str, list[dict[str, str]], str]


@dataclass(frozen=True)
class Options:
    file_name: str
    # The zone for posts WordPress wrote without wp:post_date_gmt; None: such a post is an error.
    zone: tzinfo | None = None
    status_category: str = "status"


def source_name(site_url: str) -> str:
    return f"wordpress:{site_url.rstrip('/')}"


def _published_at(item: WxrItem, options: Options) -> datetime | None:
    if item.gmt_date is not None:
        return item.gmt_date.replace(tzinfo=UTC)
    if item.local_date is None:
        return None
    if options.zone is None:
        raise SourceError(
            options.file_name,
            item.label,
            "has no wp:post_date_gmt, so the zone of its date "
            f"({item.local_date:%Y-%m-%d %H:%M}) is unknown: give the zone the site's times "
            "are in (--zone, or the zone on the upload form)",
        )
    return item.local_date.replace(tzinfo=options.zone)


def _publication(item: WxrItem, options: Options) -> str:
    try:
        return WORDPRESS_STATUSES[item.status]
    except KeyError:
        raise SourceError(
            options.file_name,
            item.label,
            f"has the status {item.status!r}, which is not one WordPress writes "
            f"({', '.join(sorted(WORDPRESS_STATUSES))})",
        ) from None


def _slug(item: WxrItem) -> str:
    return slugify(unquote(item.slug) or item.title)[:200] or f"post-{item.post_id}"


def _old_path(item: WxrItem) -> str:
    if item.local_date is None or not item.slug:
        return ""
    return f"{item.local_date:/%Y/%m/%d}/{unquote(item.slug)}/"


def _updates(item: WxrItem, published_at: datetime) -> tuple[str, list[dict[str, str]]]:
    split = split_updates(item.content, published_at)
    updates = [
        {
            "at": update.at.astimezone(UTC).isoformat(),
            "written": update.written,
            "body": update.body,
        }
        for update in split.updates
    ]
    return split.intro, updates


def _proposal(
    item: WxrItem, publication: str, published_at: datetime | None, options: Options
) -> Proposal:
    """(kind, possible kinds, state, title, intro, updates, note) for a post."""
    state_match = STATE_IN_TITLE.match(item.title)
    state = state_match.group(1).lower() if state_match else ""
    title = item.title[state_match.end() :] if state_match else item.title
    in_status = any(c.slug == options.status_category for c in item.categories)
    if publication != PUBLISHED or published_at is None:
        return POST, [POST], "", item.title, "", [], ""
    intro, updates = _updates(item, published_at)
    possible = [POST, INCIDENT]
    if len(updates) >= 2 and updates[-1]["at"] > updates[0]["at"]:
        possible.append(MAINTENANCE)
    kind, note = POST, ""
    if in_status and state == "resolved":
        kind = INCIDENT
    elif in_status and state in ("completed", "postponed"):
        kind = MAINTENANCE if MAINTENANCE in possible else POST
        if kind == POST:
            note = "Marked as maintenance, but fewer than two timed updates give no window."
    elif in_status:
        note = "No state in its title ([Resolved], [Completed], [Postponed]): kept as a post."
    return kind, possible, state, title.strip(), intro, updates, note


def plan_item(item: WxrItem, options: Options) -> dict[str, Any]:
    publication = _publication(item, options)
    published_at = _published_at(item, options) if publication != DRAFT else None
    kind, possible, state, title, intro, updates, note = _proposal(
        item, publication, published_at, options
    )
    return {
        "source_id": item.post_id,
        "label": item.label,
        "kind": kind,
        "possible_kinds": possible,
        "state": state,
        "title": item.title.strip(),
        "event_title": title,
        "slug": _slug(item),
        "old_path": _old_path(item),
        "publication": publication,
        "published_at": published_at.astimezone(UTC).isoformat() if published_at else None,
        "author": item.author,
        "categories": [{"slug": c.slug, "name": c.name} for c in item.categories],
        "tags": item.tags,
        "body": item.content.strip(),
        "intro": intro,
        "updates": updates,
        "note": note,
    }


def read_plan_items(
    stream: IO[bytes], options: Options, channel: WxrChannel
) -> Iterator[dict[str, Any]]:
    """Each post of the export as a plan entry, streamed; refuses duplicate ids and slugs."""
    slugs: dict[str, str] = {}
    ids: set[str] = set()
    for item in read_wxr(stream, options.file_name, channel):
        if item.post_type != "post" or item.status in LEFT_OUT_STATUSES:
            continue
        if not item.post_id:
            raise SourceError(options.file_name, item.label, "has no wp:post_id")
        if item.post_id in ids:
            raise SourceError(options.file_name, item.label, "repeats a post id seen before")
        ids.add(item.post_id)
        entry = plan_item(item, options)
        entry["author_name"] = channel.authors.get(item.author, item.author)
        if entry["slug"] in slugs:
            raise SourceError(
                options.file_name,
                item.label,
                f"has the slug {entry['slug']!r}, already used by {slugs[entry['slug']]}",
            )
        slugs[entry["slug"]] = item.label
        yield entry


def read_plan(stream: IO[bytes], options: Options) -> dict[str, Any]:
    """The whole plan (for a review); the command streams read_plan_items instead."""
    channel = WxrChannel()
    items = list(read_plan_items(stream, options, channel))
    if not channel.site_url:
        raise SourceError(options.file_name, "", "names no site (no <link> in its <channel>)")
    return {"source": source_name(channel.site_url), "items": items}
