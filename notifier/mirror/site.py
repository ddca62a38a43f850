"""Which public addresses the mirror holds, and which of them a notice changes.

Every address is held in each of the site's languages: worked out once in the default
language (at `/`), then under each other language's prefix (`/nb/...`), the same views.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import wraps
from typing import ParamSpec

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from incidents.models import (
    Category,
    Component,
    Incident,
    IncidentComponent,
    Maintenance,
    Post,
    Tag,
)
from incidents.pages import HistoryLayout, history_keys, history_path, page_path
from notifier.models import Notice, NoticeKind

Args = ParamSpec("Args")


def in_every_language(urls_of: Callable[Args, list[str]]) -> Callable[Args, list[str]]:
    """`urls_of`'s addresses in the default language, then the same under each other prefix."""

    @wraps(urls_of)
    def every_language(*args: Args.args, **kwargs: Args.kwargs) -> list[str]:
        with translation.override(settings.LANGUAGE_CODE):
            urls = urls_of(*args, **kwargs)
        others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        return urls + [f"/{code}{url}" for code in others for url in urls]

    return every_language


def api_urls() -> list[str]:
    from incidents.api.public import DOCUMENTS

    root = reverse("status_page")
    return [f"{root}api/v2/{route}" for route, _name, _build in DOCUMENTS]


def _pages(first_page: str, count: int, per_page: int) -> list[str]:
    return [page_path(first_page, n) for n in range(1, max(1, math.ceil(count / per_page)) + 1)]


@in_every_language
def listing_urls() -> list[str]:
    """Every page that lists, summarises or syndicates (a full build renders them all)."""
    return unprefixed_listing_urls()


def unprefixed_listing_urls() -> list[str]:
    """listing_urls in the default language alone (for a caller in_every_language itself)."""
    history_items = (
        Incident.objects.count() + Maintenance.objects.exclude(status="cancelled").count()
    )
    numbered = HistoryLayout(history_items, settings.HISTORY_PAGE_SIZE).numbered
    published = Post.objects.published()
    urls = [
        reverse("status_page"),
        *(history_path(n) for n in range(numbered + 1)),
        *_pages(reverse("blog_index"), published.count(), settings.BLOG_PAGE_SIZE),
        reverse("feed_atom"),
        reverse("feed_rss"),
        reverse("feed_json"),
        reverse("maintenance_ics"),
        reverse("badge"),
        reverse("widget"),
        *api_urls(),
    ]
    for category in Category.objects.all():
        count = published.filter(categories=category).count()
        urls += _pages(category.get_absolute_url(), count, settings.BLOG_PAGE_SIZE)
        urls += [reverse(f"blog_category_{kind}", args=[category.slug]) for kind in FEEDS]
    for tag in Tag.objects.all():
        count = published.filter(tags=tag).count()
        urls += _pages(tag.get_absolute_url(), count, settings.BLOG_PAGE_SIZE)
    # The component pages and uptime.json show the last days' bars: the daily refresh
    # (refresh.py renders every listing when the day turns) keeps them current.
    urls += _component_urls(Component.objects.values_list("pk", flat=True))
    return urls


FEEDS = ("atom", "rss", "json")


@in_every_language
def every_url() -> list[str]:
    """The whole public site (a full build)."""
    return [
        *unprefixed_listing_urls(),
        *(i.get_absolute_url() for i in Incident.objects.only("pk")),
        *(m.get_absolute_url() for m in Maintenance.objects.only("pk")),
        *(p.get_absolute_url() for p in Post.objects.published().only("slug")),
    ]


@in_every_language
def urls_for(notice: Notice) -> list[str]:
    """What a notice changes: its own pages, and the pages that list, count or syndicate it.

    A post changes every listing (the blog's pages move, and categories or tags made for it
    appear in every list's navigation). An incident or maintenance changes fewer, which keeps
    the mirror of a large site current within a second or so: the summaries (status page,
    site feeds, badges, API), the history pages from where it sits (all of them when it moved
    or left), the feeds and badges of its components, and the blog, category and tag pages
    that show posts about it (their titles carry its state: "[Resolved] ...").
    """
    if notice.post_id:
        return [*unprefixed_listing_urls(), *_details(notice)]
    urls = _summaries()
    if notice.component_id:  # a status set with no incident: no history, no posts
        return [*urls, *_component_urls([notice.component_id])]
    kind = notice.kind
    if notice.incident_id:
        urls += _history_urls(("incident", notice.incident_id), inserted=kind in INSERTED)
        affected = IncidentComponent.objects.filter(incident_id=notice.incident_id)
        urls += _component_urls(affected.values_list("component_id", flat=True))
        posts = Post.objects.published().filter(incident_id=notice.incident_id)
    else:
        maintenance_id = notice.maintenance_id
        assert maintenance_id is not None  # a notice is about one thing: here maintenance
        urls.append(reverse("maintenance_ics"))
        key = ("maintenance", maintenance_id)
        urls += _history_urls(key, inserted=kind in INSERTED, moved=kind in MOVED)
        held = Maintenance.components.through.objects.filter(maintenance_id=maintenance_id)
        urls += _component_urls(held.values_list("component_id", flat=True))
        posts = Post.objects.published().filter(maintenance_id=maintenance_id)
    urls += _post_list_urls(list(posts.prefetch_related("categories", "tags")))
    return [*urls, *_details(notice)]


# A new item shifts every later page of its list; one that moved or left changes any of them.
INSERTED = {NoticeKind.INCIDENT_OPENED, NoticeKind.MAINTENANCE_SCHEDULED}
MOVED = {
    NoticeKind.MAINTENANCE_RESCHEDULED,
    NoticeKind.MAINTENANCE_POSTPONED,
    NoticeKind.MAINTENANCE_CANCELLED,
}


@in_every_language
def summary_urls() -> list[str]:
    """What sums the whole site up: every publish may change them."""
    return _summaries()


def _summaries() -> list[str]:
    return [
        reverse("status_page"),
        reverse("feed_atom"),
        reverse("feed_rss"),
        reverse("feed_json"),
        reverse("badge"),
        reverse("widget"),
        *api_urls(),
    ]


def _history_urls(key: tuple[str, int], *, inserted: bool, moved: bool = False) -> list[str]:
    """The history pages an item's publish changed (see incidents.pages.HistoryLayout).

    An update changes the page showing the item. A new item moves every newer item one
    place toward the front page: its own page, the numbered pages after it and the front
    (a page or three when it is the newest). One that moved or left may change any of them.
    """
    order = [(kind, pk) for pk, kind, _at in history_keys()]
    layout = HistoryLayout(len(order), settings.HISTORY_PAGE_SIZE)
    if moved or key not in order:
        return [history_path(n) for n in range(layout.numbered + 1)]
    page = layout.page_of(order.index(key))
    if not inserted:
        return [history_path(page)]
    # The last two numbered pages too, whatever the position: this publish may have added
    # the last one, and the one before it then gains its Newer link. (Independent of how
    # many items there were before, so a delivery retried after later publishes is right.)
    changed = {0, layout.numbered - 1, layout.numbered}
    if page:
        changed.update(range(page, layout.numbered + 1))
    return [history_path(n) for n in sorted(changed) if n >= 0]


def _component_urls(component_ids: Iterable[int]) -> list[str]:
    """A component's page, feeds, badge and uptime.json: its status or history changed."""
    urls = []
    for component_id in sorted(set(component_ids)):
        urls.append(reverse("component_detail", args=[component_id]))
        urls += [reverse(f"component_{kind}", args=[component_id]) for kind in FEEDS]
        urls.append(reverse("component_badge", args=[component_id]))
        urls.append(reverse("api_v2_component_uptime", args=[component_id]))
    return urls


def _post_list_urls(posts: list[Post]) -> list[str]:
    """The blog, category and tag pages that show these posts, and their categories' feeds."""
    if not posts:
        return []
    published = Post.objects.published()
    lists: list[tuple[str, QuerySet[Post]]] = [(reverse("blog_index"), published)]
    categories = {c.pk: c for post in posts for c in post.categories.all()}
    tags = {t.pk: t for post in posts for t in post.tags.all()}
    lists += [(c.get_absolute_url(), published.filter(categories=c)) for c in categories.values()]
    lists += [(t.get_absolute_url(), published.filter(tags=t)) for t in tags.values()]
    urls = []
    for first_page, listed in lists:
        order = list(listed.values_list("pk", flat=True))
        every_page = _pages(first_page, len(order), settings.BLOG_PAGE_SIZE)
        shown = sorted(
            {order.index(p.pk) // settings.BLOG_PAGE_SIZE for p in posts if p.pk in order}
        )
        urls += [every_page[n] for n in shown]
    for category in categories.values():
        urls += [reverse(f"blog_category_{kind}", args=[category.slug]) for kind in FEEDS]
    return urls


@in_every_language
def detail_urls(notice: Notice) -> list[str]:
    """The pages of what a notice is about (not the listings): its own, and its posts."""
    return _details(notice)


def _details(notice: Notice) -> list[str]:
    details: list[str] = []
    if notice.incident_id:
        details.append(reverse("incident_detail", args=[notice.incident_id]))
        posts = Post.objects.published().filter(incident_id=notice.incident_id)
    elif notice.maintenance_id:
        details.append(reverse("maintenance_detail", args=[notice.maintenance_id]))
        posts = Post.objects.published().filter(maintenance_id=notice.maintenance_id)
    else:
        posts = (
            Post.objects.published().filter(pk=notice.post_id)
            if notice.post_id is not None
            else Post.objects.none()
        )
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
