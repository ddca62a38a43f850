"""Which public addresses the mirror holds, and which of them a notice changes."""

from __future__ import annotations

import math

from django.conf import settings
from django.urls import reverse

from incidents.models import Category, Component, Incident, Maintenance, Post, Tag
from incidents.pages import page_path
from notifier.models import Notice


def _pages(first_page: str, count: int, per_page: int) -> list[str]:
    return [page_path(first_page, n) for n in range(1, max(1, math.ceil(count / per_page)) + 1)]


def listing_urls() -> list[str]:
    """Every page that lists, summarises or syndicates: it may change with any publish."""
    from incidents.api.public import DOCUMENTS

    history_items = (
        Incident.objects.count() + Maintenance.objects.exclude(status="cancelled").count()
    )
    published = Post.objects.published()
    urls = [
        reverse("status_page"),
        *_pages(reverse("history"), history_items, settings.HISTORY_PAGE_SIZE),
        *_pages(reverse("blog_index"), published.count(), settings.BLOG_PAGE_SIZE),
        reverse("feed_atom"),
        reverse("feed_rss"),
        reverse("feed_json"),
        reverse("maintenance_ics"),
        reverse("badge"),
        reverse("widget"),
        *(f"/api/v2/{route}" for route, _name, _build in DOCUMENTS),
    ]
    for category in Category.objects.all():
        count = published.filter(categories=category).count()
        urls += _pages(category.get_absolute_url(), count, settings.BLOG_PAGE_SIZE)
        urls += [reverse(f"blog_category_{kind}", args=[category.slug]) for kind in FEEDS]
    for tag in Tag.objects.all():
        count = published.filter(tags=tag).count()
        urls += _pages(tag.get_absolute_url(), count, settings.BLOG_PAGE_SIZE)
    for component_id in Component.objects.values_list("pk", flat=True):
        urls += [reverse(f"component_{kind}", args=[component_id]) for kind in FEEDS]
        urls.append(reverse("component_badge", args=[component_id]))
    return urls


FEEDS = ("atom", "rss", "json")


def every_url() -> list[str]:
    """The whole public site (a full build)."""
    return [
        *listing_urls(),
        *(i.get_absolute_url() for i in Incident.objects.only("pk")),
        *(m.get_absolute_url() for m in Maintenance.objects.only("pk")),
        *(p.get_absolute_url() for p in Post.objects.published().only("slug")),
    ]


def urls_for(notice: Notice) -> list[str]:
    """What a notice changes: the listings, its own page, and the pages that link to it."""
    return [*listing_urls(), *detail_urls(notice)]


def detail_urls(notice: Notice) -> list[str]:
    """The pages of what a notice is about (not the listings): its own, and its posts."""
    details: list[str] = []
    if notice.incident_id:
        details.append(reverse("incident_detail", args=[notice.incident_id]))
        posts = Post.objects.published().filter(incident_id=notice.incident_id)
    elif notice.maintenance_id:
        details.append(reverse("maintenance_detail", args=[notice.maintenance_id]))
        posts = Post.objects.published().filter(maintenance_id=notice.maintenance_id)
    else:
        posts = Post.objects.published().filter(pk=notice.post_id)
        post = posts.first()
        if post is not None and post.incident_id:
            details.append(reverse("incident_detail", args=[post.incident_id]))
        if post is not None and post.maintenance_id:
            details.append(reverse("maintenance_detail", args=[post.maintenance_id]))
    details += [p.get_absolute_url() for p in posts.only("slug")]
    return details


def file_for(url: str) -> str:
    """Where an address lives in the mirror: directories get an index.html."""
    path = url.lstrip("/")
    return f"{path}index.html" if path == "" or path.endswith("/") else path
