"""Atom and RSS feeds: everything (posts, incidents, maintenance) and per blog category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from incidents import timefmt
from incidents.models import Category, Incident, Maintenance, Post


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
    return FeedEntry(
        title=post.display_title,
        link=post.get_absolute_url(),
        published=post.published_at,
        updated=max(post.updated_at, post.published_at),
        categories=tuple(c.name for c in post.categories.all()),
        description=render_to_string("incidents/feed/post.html", {"post": post}),
    )


def incident_entry(incident: Incident) -> FeedEntry:
    return FeedEntry(
        title=f"{incident.title} ({incident.get_status_display()})",
        link=incident.get_absolute_url(),
        published=incident.started_at,
        updated=incident.updated_at,
        categories=("Incident", incident.get_impact_display()),
        description=render_to_string("incidents/feed/incident.html", {"incident": incident}),
    )


def maintenance_entry(maintenance: Maintenance) -> FeedEntry:
    window, _ = timefmt.window_everywhere(maintenance.scheduled_start, maintenance.scheduled_end)
    return FeedEntry(
        title=f"{maintenance.title}: {window} ({maintenance.get_status_display()})",
        link=maintenance.get_absolute_url(),
        published=maintenance.created_at,
        updated=maintenance.updated_at,
        categories=("Maintenance",),
        description=render_to_string(
            "incidents/feed/maintenance.html", {"maintenance": maintenance}
        ),
    )


def everything(limit: int) -> list[FeedEntry]:
    posts = Post.objects.published().for_listing()[:limit]
    incidents = Incident.objects.with_timeline().order_by("-updated_at", "-id")[:limit]
    maintenance = Maintenance.objects.with_timeline().order_by("-updated_at", "-id")[:limit]
    entries = [
        *(post_entry(p) for p in posts),
        *(incident_entry(i) for i in incidents),
        *(maintenance_entry(m) for m in maintenance),
    ]
    return sorted(entries, key=lambda e: e.updated, reverse=True)[:limit]


class EverythingRssFeed(Feed):
    feed_type = Rss201rev2Feed

    def title(self) -> str:
        return settings.SITE_NAME

    def link(self) -> str:
        return reverse("status_page")

    def description(self) -> str:
        return f"Incidents, maintenance and news from {settings.SITE_NAME}."

    def feed_url(self) -> str:
        return reverse("feed_rss")

    def items(self) -> list[FeedEntry]:
        return everything(settings.FEED_ITEMS)

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


class EverythingAtomFeed(EverythingRssFeed):
    feed_type = Atom1Feed
    subtitle = EverythingRssFeed.description

    def feed_url(self) -> str:
        return reverse("feed_atom")


class CategoryRssFeed(EverythingRssFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:  # type: ignore[override]
        return get_object_or_404(Category, slug=slug)

    def title(self, category: Category) -> str:  # type: ignore[override]
        return f"{settings.SITE_NAME}: {category.name}"

    def link(self, category: Category) -> str:  # type: ignore[override]
        return category.get_absolute_url()

    def description(self, category: Category) -> str:  # type: ignore[override]
        return category.description or f"Posts in {category.name}."

    def feed_url(self, category: Category) -> str:  # type: ignore[override]
        return reverse("blog_category_rss", args=[category.slug])

    def items(self, category: Category) -> list[FeedEntry]:  # type: ignore[override]
        posts = Post.objects.published().filter(categories=category).for_listing()
        return [post_entry(p) for p in posts[: settings.FEED_ITEMS]]


class CategoryAtomFeed(CategoryRssFeed):
    feed_type = Atom1Feed
    subtitle = CategoryRssFeed.description

    def feed_url(self, category: Category) -> str:  # type: ignore[override]
        return reverse("blog_category_atom", args=[category.slug])
