"""Atom, RSS 2.0 and JSON Feed 1.1: everything (posts, incidents, maintenance), per component
(its incidents and maintenance) and per blog category."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import get_language, gettext, pgettext

from incidents import timefmt
from incidents.clean_text import remove_control_characters
from incidents.models import Category, Component, Incident, Maintenance, Post, PublicationState

logger = logging.getLogger(__name__)


def _without_control_characters(fields: dict[str, Any], whose: str) -> None:
    for key, value in fields.items():
        if isinstance(value, str):
            fields[key], removed = remove_control_characters(value)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            pairs = [remove_control_characters(v) for v in value]
            fields[key] = type(value)(text for text, _ in pairs)
            removed = sorted({name for _, names in pairs for name in names})
        else:
            continue
        if removed:
            logger.warning(
                "Feed: removed %s from the %s of %s; it was stored before control characters "
                "were refused: edit it to fix it.",
                ", ".join(removed),
                key,
                whose,
            )


class WritableFeed(SyndicationFeed):
    """A feed one stored row cannot break.

    XML 1.0 cannot carry a control character such as ESC, and Django refuses to write one
    (UnserializableContentError: a 500, and a mirror build that stops). Text entering now
    is checked (incidents/clean_text.py); a row stored before is written without them and
    named in a warning.
    """

    def write(self, outfile: Any, encoding: str) -> None:
        self.remove_control_characters()
        super().write(outfile, encoding)

    def remove_control_characters(self) -> None:
        _without_control_characters(self.feed, "the feed")
        for item in self.items:
            _without_control_characters(item, f"the entry {item.get('link')}")


class WritableRssFeed(WritableFeed, Rss201rev2Feed):
    pass


class WritableAtomFeed(WritableFeed, Atom1Feed):
    pass


class JsonFeed(WritableFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), times with the site zone's offset."""

    content_type = "application/feed+json; charset=utf-8"
    version = "https://jsonfeed.org/version/1.1"

    def write(self, outfile: TextIO, encoding: str) -> None:
        self.remove_control_characters()
        feed = self.feed
        document: dict[str, Any] = {
            "version": self.version,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"] or feed["subtitle"],
            "language": feed["language"],
            "authors": [{"name": feed["author_name"], "url": feed["author_link"]}],
            "items": [self._item(item) for item in self.items],
        }
        present = {k: v for k, v in document.items() if v or k == "items"}  # items is required
        json.dump(present, outfile, ensure_ascii=False)

    @staticmethod
    def _item(item: dict[str, Any]) -> dict[str, Any]:
        entry = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["description"],
            "date_published": _json_time(item["pubdate"]),
            "date_modified": _json_time(item["updateddate"]),
            "tags": list(item["categories"]),
        }
        return {k: v for k, v in entry.items() if v}


def _json_time(moment: datetime | None) -> str | None:
    return timefmt.in_zone(moment).isoformat() if moment is not None else None


@dataclass(frozen=True)
class FeedEntry:
    title: str
    link: str
    published: datetime
    updated: datetime
    categories: tuple[str, ...]
    description: str


def post_entry(post: Post) -> FeedEntry:
    assert post.published_at is not None
    title = post.localized("title")
    return FeedEntry(
        title=f"[{post.label}] {title}" if post.label else title,
        link=post.get_absolute_url(),
        published=post.published_at,
        updated=max(post.updated_at, post.published_at),
        categories=tuple(str(c.localized("name")) for c in post.categories.all()),
        description=render_to_string("incidents/feed/post.html", {"post": post}),
    )


def incident_entry(incident: Incident) -> FeedEntry:
    return FeedEntry(
        title=gettext("%(title)s (%(status)s)")
        % {"title": incident.localized("title"), "status": incident.get_status_display()},
        link=incident.get_absolute_url(),
        published=incident.started_at,
        updated=incident.updated_at,
        categories=(pgettext("feed category", "Incident"), incident.get_impact_display()),
        description=_described("incidents/feed/incident.html", "incident", incident),
    )


def maintenance_entry(maintenance: Maintenance) -> FeedEntry:
    window, _ = timefmt.window_everywhere(maintenance.scheduled_start, maintenance.scheduled_end)
    return FeedEntry(
        title=gettext("%(title)s: %(window)s (%(status)s)")
        % {
            "title": maintenance.localized("title"),
            "window": window,
            "status": maintenance.get_status_display(),
        },
        link=maintenance.get_absolute_url(),
        published=maintenance.created_at,
        updated=maintenance.updated_at,
        categories=(pgettext("feed category", "Maintenance"),),
        description=_described("incidents/feed/maintenance.html", "maintenance", maintenance),
    )


def _described(template: str, name: str, item: Incident | Maintenance) -> str:
    """The entry's body, rendered once for each state of the item and its updates.

    A publish changes one or two of a feed's fifty entries, and a component's feeds list the
    same incidents as the site's: a body is rendered again only when a row it shows changed
    (or in another language).
    """
    rows = [item, *item.timeline()]
    state = repr([[f.value_from_object(row) for f in row._meta.concrete_fields] for row in rows])
    digest = hashlib.sha256(f"{template}|{state}".encode()).hexdigest()
    cache = caches["pages"]
    key = f"feed-entry:{get_language()}:{digest}"
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, {name: item})
        cache.set(key, body)
    return body


# (last changed, kind, pk): enough to choose a feed's entries before loading any of them.
Candidate = tuple[datetime, str, int]


def _loaders() -> dict[str, tuple[QuerySet[Any], Callable[[Any], FeedEntry]]]:
    return {
        "post": (Post.objects.published().for_listing(), post_entry),
        "incident": (Incident.objects.with_timeline(), incident_entry),
        "maintenance": (Maintenance.objects.with_timeline(), maintenance_entry),
    }


def _newest(candidates: list[Candidate], limit: int) -> list[FeedEntry]:
    """The `limit` most recently changed, loaded with what their bodies show and rendered.

    Only those are loaded: each kind's fifty newest are listed by their dates alone, and a
    feed keeps fifty of the hundred and fifty. (A stable sort: items changed at the same
    moment keep their order.)
    """
    kept = sorted(candidates, key=lambda c: c[0], reverse=True)[:limit]
    wanted: dict[str, list[int]] = defaultdict(list)
    for _changed, kind, pk in kept:
        wanted[kind].append(pk)
    loaders = _loaders()
    loaded = {kind: loaders[kind][0].in_bulk(pks) for kind, pks in wanted.items()}
    # An item deleted since it was listed is left out, as if it had been a moment earlier.
    return [loaders[kind][1](loaded[kind][pk]) for _, kind, pk in kept if pk in loaded[kind]]


def shared(key: str, build: Callable[[], list[FeedEntry]]) -> list[FeedEntry]:
    """Entries computed once per publication token and shared by a feed's three formats.

    Atom, RSS and JSON list the same entries; a publish re-renders all three (and the
    mirror renders them one after the other), so the entries' templates run once (per
    language: the entries are written in the reader's).
    """
    cache = caches["pages"]
    cache_key = f"feed-entries:{PublicationState.current_token()}:{get_language()}:{key}"
    entries = cache.get(cache_key)
    if entries is None:
        entries = build()
        cache.set(cache_key, entries)
    return entries


def everything(limit: int) -> list[FeedEntry]:
    posts = Post.objects.published()[:limit].values_list("pk", "updated_at", "published_at")
    incidents = Incident.objects.order_by("-updated_at", "-id")[:limit]
    maintenance = Maintenance.objects.order_by("-updated_at", "-id")[:limit]
    candidates: list[Candidate] = [
        *((max(updated, published or updated), "post", pk) for pk, updated, published in posts),
        *((updated, "incident", pk) for pk, updated in incidents.values_list("pk", "updated_at")),
        *(
            (updated, "maintenance", pk)
            for pk, updated in maintenance.values_list("pk", "updated_at")
        ),
    ]
    return _newest(candidates, limit)


class SiteFeed(Feed):
    """What every feed here shares: its format, its author, how an entry is read."""

    feed_type: type[WritableFeed] = WritableRssFeed

    # RFC 4287 4.1.1: an Atom feed needs an author (RSS 2.0 has no place for it on the channel).
    def author_name(self) -> str:
        return settings.SITE_NAME

    def author_link(self) -> str:
        return settings.SITE_URL

    def item_title(self, item: FeedEntry) -> str:
        return item.title

    def item_link(self, item: FeedEntry) -> str:
        return item.link

    def item_description(self, item: FeedEntry) -> str:
        return item.description

    def item_pubdate(self, item: FeedEntry) -> datetime:
        return item.published

    def item_updateddate(self, item: FeedEntry) -> datetime:
        return item.updated

    def item_categories(self, item: FeedEntry) -> tuple[str, ...]:
        return item.categories


class EverythingRssFeed(SiteFeed):
    def title(self) -> str:
        return settings.SITE_NAME

    def link(self) -> str:
        return reverse("status_page")

    def description(self) -> str:
        return gettext("Incidents, maintenance and news from %(site)s.") % {
            "site": settings.SITE_NAME
        }

    def feed_url(self) -> str:
        return reverse("feed_rss")

    def items(self) -> list[FeedEntry]:
        limit = settings.FEED_ITEMS
        return shared(f"everything:{limit}", lambda: everything(limit))


class EverythingAtomFeed(EverythingRssFeed):
    feed_type = WritableAtomFeed
    subtitle = EverythingRssFeed.description

    def feed_url(self) -> str:
        return reverse("feed_atom")


class CategoryRssFeed(SiteFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, category: Category) -> str:
        return f"{settings.SITE_NAME}: {category.localized('name')}"

    def link(self, category: Category) -> str:
        return category.get_absolute_url()

    def description(self, category: Category) -> str:
        return str(category.localized("description")) or gettext("Posts in %(category)s.") % {
            "category": category.localized("name")
        }

    def feed_url(self, category: Category) -> str:
        return reverse("blog_category_rss", args=[category.slug])

    def items(self, category: Category) -> list[FeedEntry]:
        def build() -> list[FeedEntry]:
            posts = Post.objects.published().filter(categories=category).for_listing()
            return [post_entry(p) for p in posts[:limit]]

        limit = settings.FEED_ITEMS
        return shared(f"category:{category.pk}:{limit}", build)


class CategoryAtomFeed(CategoryRssFeed):
    feed_type = WritableAtomFeed
    subtitle = CategoryRssFeed.description

    def feed_url(self, category: Category) -> str:
        return reverse("blog_category_atom", args=[category.slug])


class EverythingJsonFeed(EverythingRssFeed):
    feed_type = JsonFeed

    def feed_url(self) -> str:
        return reverse("feed_json")


class CategoryJsonFeed(CategoryRssFeed):
    feed_type = JsonFeed

    def feed_url(self, category: Category) -> str:
        return reverse("blog_category_json", args=[category.slug])


def for_component(component: Component, limit: int) -> list[FeedEntry]:
    """The incidents that affected a component and the maintenance that covered it."""
    incidents = Incident.objects.filter(affected__component=component)
    maintenance = Maintenance.objects.filter(components=component)
    candidates: list[Candidate] = [
        *(
            (updated, "incident", pk)
            for pk, updated in incidents.order_by("-updated_at", "-id")[:limit].values_list(
                "pk", "updated_at"
            )
        ),
        *(
            (updated, "maintenance", pk)
            for pk, updated in maintenance.order_by("-updated_at", "-id")[:limit].values_list(
                "pk", "updated_at"
            )
        ),
    ]
    return _newest(candidates, limit)


class ComponentRssFeed(SiteFeed):
    def get_object(self, request: HttpRequest, pk: int) -> Component:
        return get_object_or_404(Component, pk=pk)

    def link(self) -> str:
        return reverse("status_page")

    def title(self, component: Component) -> str:
        return f"{settings.SITE_NAME}: {component.localized('name')}"

    def description(self, component: Component) -> str:
        return gettext("Incidents and maintenance affecting %(component)s.") % {
            "component": component.localized("name")
        }

    def feed_url(self, component: Component) -> str:
        return reverse("component_rss", args=[component.pk])

    def items(self, component: Component) -> list[FeedEntry]:
        limit = settings.FEED_ITEMS
        return shared(f"component:{component.pk}:{limit}", lambda: for_component(component, limit))


class ComponentAtomFeed(ComponentRssFeed):
    feed_type = WritableAtomFeed
    subtitle = ComponentRssFeed.description

    def feed_url(self, component: Component) -> str:
        return reverse("component_atom", args=[component.pk])


class ComponentJsonFeed(ComponentRssFeed):
    feed_type = JsonFeed

    def feed_url(self, component: Component) -> str:
        return reverse("component_json", args=[component.pk])
