"""The rows of a detail page (an incident, a maintenance window, a post), one page or many.

A page loads its own rows in a few queries. The mirror renders a thousand such pages one
after another; while it does (`reading_ahead`), a page's load fetches the next pages' rows
of the same kind as well, so a build pays Django's cost of building and reading a query
once per batch instead of once per page (about half of an incident page's render). A page
is then drawn from rows read at most a batch earlier, as a build that takes time already
is: a change made meanwhile reaches the mirror with the publish or refresh that follows it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import translation

from incidents.models import Incident, Maintenance, Post

Key = TypeVar("Key", bound=Hashable)
Rows = TypeVar("Rows")

# Pages per query: large enough that the per-query cost fades, small enough to hold.
BATCH = 100


class _Ahead(Generic[Key, Rows]):
    """The keys to be asked for, in order, and the rows of the current batch."""

    def __init__(self, load: Callable[[list[Key]], dict[Key, Rows]], planned: list[Key]):
        self._load = load
        self._planned = list(dict.fromkeys(planned))
        self._position = {key: index for index, key in enumerate(self._planned)}
        self._loaded: dict[Key, Rows] = {}

    def take(self, key: Key) -> Rows | None:
        """`key`'s rows (once: a page asked for twice reads them afresh), None if unplanned."""
        if key not in self._loaded:
            start = self._position.get(key)
            if start is None:
                return None
            self._loaded = self._load(self._planned[start : start + BATCH])
        return self._loaded.pop(key, None)


_reading: ContextVar[dict[str, _Ahead[Any, Any]] | None] = ContextVar("reading", default=None)


def incident_page(pk: int) -> tuple[Incident, list[Post]]:
    """The incident with its timeline, and the posts about it; Http404 if there is none."""
    return _one("incident_detail", pk, _incident_pages)


def maintenance_page(pk: int) -> tuple[Maintenance, list[Post]]:
    return _one("maintenance_detail", pk, _maintenance_pages)


def post_page(slug: str) -> Post:
    return _one("blog_post", slug, _post_pages)


def _one(view: str, key: Key, load: Callable[[list[Key]], dict[Key, Rows]]) -> Rows:
    ahead = (_reading.get() or {}).get(view)
    rows = ahead.take(key) if ahead else None
    if rows is None:
        rows = load([key]).get(key)
    if rows is None:
        raise Http404("There is no such page.")
    return rows


def _posts_by(field: str, ids: Iterable[int]) -> dict[int, list[Post]]:
    posts: dict[int, list[Post]] = defaultdict(list)
    for post in Post.objects.published().filter(**{f"{field}__in": ids}).for_listing():
        posts[getattr(post, f"{field}_id")].append(post)
    return posts


def _incident_pages(pks: list[int]) -> dict[int, tuple[Incident, list[Post]]]:
    incidents = Incident.objects.with_timeline().in_bulk(pks)
    posts = _posts_by("incident", incidents) if incidents else {}
    return {pk: (incident, posts.get(pk, [])) for pk, incident in incidents.items()}


def _maintenance_pages(pks: list[int]) -> dict[int, tuple[Maintenance, list[Post]]]:
    windows = Maintenance.objects.with_timeline().in_bulk(pks)
    posts = _posts_by("maintenance", windows) if windows else {}
    return {pk: (window, posts.get(pk, [])) for pk, window in windows.items()}


def _post_pages(slugs: list[str]) -> dict[str, Post]:
    return Post.objects.published().for_listing().in_bulk(slugs, field_name="slug")


_LOADERS: dict[str, tuple[str, Callable[[list[Any]], dict[Any, Any]]]] = {
    "incident_detail": ("pk", _incident_pages),
    "maintenance_detail": ("pk", _maintenance_pages),
    "blog_post": ("slug", _post_pages),
}


@contextmanager
def reading_ahead(paths: Iterable[str]) -> Iterator[None]:
    """While these pages are requested in this order, load their rows a batch at a time."""
    planned: dict[str, list[Any]] = defaultdict(list)
    for path in paths:
        language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:
                continue
        if match.url_name in _LOADERS:
            argument, _load = _LOADERS[match.url_name]
            planned[match.url_name].append(match.kwargs[argument])
    token = _reading.set({view: _Ahead(_LOADERS[view][1], keys) for view, keys in planned.items()})
    try:
        yield
    finally:
        _reading.reset(token)
