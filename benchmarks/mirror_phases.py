"""Where a mirror publish's time goes: wall time per phase, by wrapping the functions doing them.

Used by benchmarks/mirror_child.py around each timed publish.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from time import perf_counter
from typing import Any

# Pages the worker rendered itself, by kind: part of the render's wall time, not added to it.
SHARE_PREFIX = "of that, in the worker: "
_LANGUAGE_PREFIX = re.compile(r"^/(nb|en)(?=/)")


def url_kind(url: str) -> str:
    """Group rendered addresses by what they are (and the language when not the default)."""
    match = _LANGUAGE_PREFIX.match(url)
    if match:
        return f"{_page_kind(url[match.end() :])} ({match.group(1)})"
    return _page_kind(url)


def _page_kind(url: str) -> str:
    if url == "/":
        return "status page"
    if url.startswith("/history/"):
        return "history pages"
    if url.startswith("/api/"):
        return "API documents"
    if url.startswith("/components/"):
        return "component feeds and badges"
    if url.startswith("/blog/category/") or url.startswith("/blog/tag/"):
        return "category and tag pages and feeds"
    if url == "/blog/" or url.startswith("/blog/page/"):
        return "blog pages"
    if url.startswith(("/incidents/", "/maintenance/", "/blog/")):
        return "incident, maintenance and post pages"
    if url.startswith("/feed") or url.endswith(".ics"):
        return "site feeds and calendar"
    return "badge, widget, 404"


class Phases:
    """Wall time spent in the parts of one publish, by patching the functions that do them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.marks: dict[str, float] = {}

    def add(self, name: str, seconds: float, count: int = 1) -> None:
        self.seconds[name] += seconds
        self.counts[name] += count

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from notifier import ledger
        from notifier.mirror import channel, render
        from notifier.mirror import local as mirror_local

        patches: list[tuple[Any, str, Any]] = []

        def patch(owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
            original = getattr(owner, name)
            patches.append((owner, name, original))
            setattr(owner, name, wrapper(original))

        def timed(label: str) -> Callable[[Any], Any]:
            def wrap(original: Any) -> Any:
                def run(*args: Any, **kwargs: Any) -> Any:
                    start = perf_counter()
                    try:
                        return original(*args, **kwargs)
                    finally:
                        self.add(label, perf_counter() - start)

                return run

            return wrap

        def swapped(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                self.marks["swapped"] = perf_counter()  # _prune runs right after the swap
                start = perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.add("publish: prune old builds", perf_counter() - start)

            return run

        def committed(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                self.marks["committed"] = perf_counter()
                return original(*args, **kwargs)

            return run

        def rendering(original: Any) -> Any:
            # Every page is rendered before the first is handed over, shared among processes
            # (notifier/mirror/forked.py): the wall time of the whole, then each page rendered
            # in this process by its kind (a fork's own pages are timed in the fork, and lost).
            def run(urls: Any) -> Iterator[Any]:
                start = perf_counter()
                pages = list(original(urls))
                self.add("render: every page, all processes (wall)", perf_counter() - start)
                yield from pages

            return run

        def rendering_one(original: Any) -> Any:
            def run(client: Any, url: str, *args: Any) -> Any:
                start = perf_counter()
                try:
                    return original(client, url, *args)
                finally:
                    self.add(f"{SHARE_PREFIX}{url_kind(url)}", perf_counter() - start)

            return run

        patch(ledger, "enqueue_notice", committed)
        patch(channel, "urls_for", timed("choose URLs (listing counts)"))
        patch(channel, "render_pages", rendering)
        patch(render, "_render_one", rendering_one)
        patch(channel, "not_found_page", timed("render: badge, widget, 404"))
        patch(channel, "static_files", timed("list static files"))

        def linking(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                start = perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    late = "swapped" in self.marks  # linking the next build, reader-ready
                    label = (
                        "after the swap: link the next build ahead"
                        if late
                        else ("publish: hard-link the last build")
                    )
                    self.add(label, perf_counter() - start)

            return run

        patch(mirror_local, "_link_tree", linking)
        patch(mirror_local, "_write", timed("publish: write pages"))
        patch(mirror_local.LocalMirrorChannel, "_prune", swapped)
        try:
            yield
        finally:
            for owner, name, original in reversed(patches):
                setattr(owner, name, original)
