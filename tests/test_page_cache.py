"""Public pages are served from a cache keyed by the publication token: fast, never stale."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

import actions
from incidents.models import ComponentStatus, IncidentStatus
from incidents.page_cache import page_key
from tests.factories import make_component, open_incident

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def test_a_repeated_request_costs_one_query_and_returns_the_same_bytes(client):
    make_component("IMAP")
    first = client.get("/")
    with CaptureQueriesContext(connection) as captured:
        second = client.get("/")
    assert len(captured.captured_queries) == 1
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_an_update_posted_through_an_action_shows_at_once(client):
    imap = make_component("IMAP")
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    assert b"We are investigating" in client.get("/").content
    actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="The attackers changed tactics."
    )
    page = client.get("/").content
    assert b"The attackers changed tactics." in page
    detail = client.get(incident.get_absolute_url()).content
    assert b"The attackers changed tactics." in detail


def test_a_save_made_outside_the_actions_shows_at_once(client):
    imap = make_component("IMAP")
    assert b"All systems operational" in client.get("/").content
    imap.status = ComponentStatus.PARTIAL_OUTAGE  # as the admin's list editing does
    imap.save()
    assert b"Partial service outage" in client.get("/").content


def test_the_htmx_fragment_and_the_full_page_are_cached_apart(client):
    make_component("IMAP")
    full = client.get("/")
    fragment = client.get("/", HTTP_HX_REQUEST="true")
    again = client.get("/")
    assert b"<html" in full.content and b"<html" in again.content
    assert b"<html" not in fragment.content


def test_a_reader_with_the_current_page_gets_304(client):
    make_component("IMAP")
    etag = client.get("/")["ETag"]
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    make_component("POP")
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_error_pages_are_not_cached(client):
    pages = caches["pages"]
    assert client.get("/incidents/999/").status_code == 404
    assert client.get("/history/?page=abc").status_code == 400
    assert not pages.has_key(page_key(RequestFactory().get("/incidents/999/"), "empty"))
    assert list(pages._cache) == []  # nothing stored at all
    client.get("/")
    assert len(pages._cache) == 1


def test_readers_who_miss_together_wait_for_one_render(monkeypatch):
    import threading
    import time

    from django.http import HttpResponse

    from incidents.models import PublicationState
    from incidents.page_cache import cached_page

    monkeypatch.setattr(PublicationState, "current_token", classmethod(lambda cls: "token"))
    renders = []

    @cached_page
    def slow_view(request):
        renders.append(1)
        time.sleep(0.2)
        return HttpResponse(b"rendered once")

    results = []
    readers = [
        threading.Thread(target=lambda: results.append(slow_view(RequestFactory().get("/x/"))))
        for _ in range(4)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert [r.content for r in results] == [b"rendered once"] * 4
    assert len(renders) == 1


def test_the_page_cache_is_bounded_in_bytes_as_well_as_entries():
    from statuspage.bounded_cache import BoundedLocMemCache

    pages = caches["pages"]
    assert isinstance(pages, BoundedLocMemCache) and pages.max_bytes > 0
    assert pages._max_entries > 0


def test_the_least_recently_read_pages_go_first_once_the_bytes_are_spent():
    from statuspage.bounded_cache import BoundedLocMemCache

    small = BoundedLocMemCache(
        "bounded-test", {"OPTIONS": {"MAX_ENTRIES": 1000, "MAX_BYTES": 50_000}}
    )
    small.clear()
    page = b"x" * 4_000
    small.set("kept", page)
    for n in range(100):
        small.set(f"page-{n}", page)
        assert small.get("kept") == page  # read all along: never the one dropped
    assert small.held_bytes() <= 50_000
    assert small.get("page-0") is None and small.get("page-99") == page
    assert 8 <= len(small._cache) <= 12
