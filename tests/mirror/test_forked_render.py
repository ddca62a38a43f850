"""A build's pages shared among processes: the worker and forks of it, the same bytes."""

from __future__ import annotations

import gc
import os

import pytest
from django.db import connection

from incidents.models import ComponentStatus
from notifier.mirror import forked as forked_module
from notifier.mirror.forked import ForkFailed, processes_for, render_in_processes, shares
from notifier.mirror.render import render_pages
from notifier.mirror.site import every_url
from tests.factories import make_component, open_incident, publish_post


def no_connections() -> None:
    """These tests render no page: nothing to let go of (a browser test's event loop may be
    running in this thread, where Django refuses to close a connection)."""


def shout(urls: list[str]) -> list[tuple[int, str]]:
    return [(os.getpid(), url.upper()) for url in urls]


@pytest.fixture
def cold(monkeypatch) -> None:
    """A process that has rendered nothing yet."""
    monkeypatch.setattr(forked_module, "_warm", False)


def test_each_process_renders_its_share_and_the_worker_gathers_them(cold):
    urls = [f"/page/{n}/" for n in range(9)]
    assert shares(urls[1:], 2) == [urls[1:5], urls[5:]]
    assert shares(urls, 4) == [urls[:3], urls[3:5], urls[5:7], urls[7:]]
    rendered = render_in_processes(shout, urls, 2, release=no_connections)
    assert sorted(text for _pid, text in rendered) == sorted(url.upper() for url in urls)
    by_process = {pid for pid, _text in rendered}
    assert len(by_process) == 2 and os.getpid() in by_process
    # The first page is the worker's, before it forks (the forks inherit its templates).
    assert rendered[0] == (os.getpid(), "/PAGE/0/")
    assert [pid for pid, _text in rendered].count(os.getpid()) == 5

    # Once it has rendered, it forks at once: the pages are shared from the first.
    rendered = render_in_processes(shout, urls, 2, release=no_connections)
    assert [text for pid, text in rendered if pid == os.getpid()] == [u.upper() for u in urls[:5]]
    assert sorted(text for _pid, text in rendered) == sorted(url.upper() for url in urls)


def test_a_fork_that_fails_fails_the_build_with_its_reason(cold):
    def fails_elsewhere(urls: list[str]) -> list[str]:
        if os.getpid() != parent:
            raise ValueError("no such table")
        return urls

    parent = os.getpid()
    with pytest.raises(ForkFailed, match="ValueError: no such table"):
        render_in_processes(fails_elsewhere, ["/a/", "/b/", "/c/"], 2, release=no_connections)


def test_a_worker_that_fails_ends_its_forks(cold, monkeypatch):
    def fails_here(urls: list[str]) -> list[str]:
        if os.getpid() == parent and urls != ["/a/"]:
            raise RuntimeError("the worker's share failed")
        return urls

    parent, forked = os.getpid(), []
    real_init = forked_module.Fork.__init__

    def noting(self, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        forked.append(self.pid)

    monkeypatch.setattr(forked_module.Fork, "__init__", noting)
    with pytest.raises(RuntimeError):
        render_in_processes(fails_here, ["/a/", "/b/", "/c/"], 2, release=no_connections)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # reaped: not left behind, not even a zombie


@pytest.mark.django_db
def test_inside_a_transaction_one_process_renders(settings):
    settings.MIRROR_RENDER_PROCESSES = 2
    assert processes_for(100) == 1  # a fork's connection would not see the uncommitted rows


@pytest.mark.postgres_too
@pytest.mark.django_db(transaction=True)
def test_a_build_shared_by_two_processes_is_the_build_of_one(settings):
    imap = make_component("IMAP")
    incident = open_incident("Logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    publish_post("New spam filter", slug="new-spam-filter")
    settings.MIRROR_PARALLEL_FROM = 2
    urls = every_url()
    settings.MIRROR_RENDER_PROCESSES = 2
    expected = 1 if connection.vendor == "sqlite" and connection.is_in_memory_db() else 2
    assert processes_for(len(urls)) == expected
    two = {page.path: page.body for page in render_pages(urls)}
    settings.MIRROR_RENDER_PROCESSES = 1
    one = {page.path: page.body for page in render_pages(urls)}
    assert two.keys() == one.keys()
    for path in (f"incidents/{incident.pk}/index.html", f"nb/incidents/{incident.pk}/index.html"):
        assert two[path] == one[path], path
    assert 'lang="nb"' in two[f"nb/incidents/{incident.pk}/index.html"].decode()


def test_the_worker_keeps_what_it_froze_and_the_fork_collects_none_of_it(cold):
    """A pool process freezes what it loaded at start (statuspage.celery); a build's fork
    must not undo that, and must leave the worker's objects out of its own collections.

    Whether an object is frozen is asked of gc.get_objects(), which lists only the objects
    collections walk: counting frozen objects would also count those other threads free."""
    loaded_at_start: list[object] = []

    def collected(marker: object) -> bool:
        return any(found is marker for found in gc.get_objects())

    gc.freeze()
    try:
        the_builds_own: list[object] = []

        def seen(urls: list[str]) -> list[tuple[int, bool, bool]]:
            state = (os.getpid(), collected(loaded_at_start), collected(the_builds_own))
            return [state for _url in urls]

        rendered = render_in_processes(seen, ["/a/", "/b/", "/c/"], 2, release=no_connections)
        in_the_worker = (collected(loaded_at_start), collected(the_builds_own))
    finally:
        gc.unfreeze()
    assert in_the_worker == (False, True)  # frozen as before; nothing new frozen
    in_the_fork = [(start, own) for pid, start, own in rendered if pid != os.getpid()]
    assert in_the_fork and set(in_the_fork) == {(False, False)}  # all it inherited is frozen
