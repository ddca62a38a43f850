"""No single bad row stops a mirror build: its page is skipped, logged and reported.

The mirror keeps the last good copy of a page that fails to render (or lacks it, if
it never had one); the other pages are current. The status page, the feeds and the
API must render: when one of them fails, the build fails and is retried.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

import actions
from console.roles import Role
from incidents import views
from incidents.models import Impact, IncidentStatus
from notifier.mirror.render import RenderError, render_pages
from notifier.mirror.tasks import refresh_mirrors
from notifier.models import DeliveryState
from tests.console.conftest import make_staff
from tests.factories import build_site, open_incident, verify_client
from tests.mirror.test_local_mirror import NEWS, deliver_pending, latest_delivery, live
from tests.mirror.test_refresh import state

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def published(mirror):
    site = build_site()
    assert {r.sent for r in deliver_pending()} == {1}
    return site


def test_a_full_build_skips_a_failing_page_and_keeps_its_last_good_copy(
    published, mirror, broken, caplog
):
    incidents, _templates = broken
    page = f"incidents/{published.active.pk}/index.html"
    old = mirror.file(page).read_bytes()
    incidents.add(published.active.pk)
    actions.post_incident_update(published.active, status=IncidentStatus.MONITORING, body=NEWS)

    out = io.StringIO()
    with caplog.at_level(logging.ERROR, logger="notifier.mirror.render"):
        call_command("build_mirror", stdout=out)

    url = f"/incidents/{published.active.pk}/"
    # In each language: the Norwegian page fails the same way.
    assert f"2 pages could not be rendered: {url} /nb{url}" in out.getvalue()
    assert mirror.file(page).read_bytes() == old  # the last good copy, not a gap
    assert NEWS.encode() not in old
    assert mirror.file("index.html").read_bytes() == live("/")  # the rest is current
    assert NEWS.encode() in live("/")
    assert any(url in r.getMessage() and "ValueError" in r.getMessage() for r in caplog.records)
    problem = "ValueError: stored data this page cannot show"
    assert state().unrendered == {url: problem, f"/nb{url}": problem}
    assert url in state().unrendered_report

    # The publish's own delivery goes through too, and says what it skipped.
    assert [r.sent for r in deliver_pending()] == [1]
    delivery = latest_delivery()
    assert delivery.state == DeliveryState.SENT
    assert f"2 pages could not be rendered: {url} /nb{url}" in delivery.reference
    assert mirror.file(page).read_bytes() == old

    # Mended, the next publish renders it and the report clears.
    incidents.clear()
    actions.post_incident_update(published.active, status=IncidentStatus.RESOLVED, body="Fixed.")
    assert [r.sent for r in deliver_pending()] == [1]
    assert mirror.file(page).read_bytes() == live(url)
    assert state().unrendered == {}
    assert "could not be rendered" not in latest_delivery().reference


def test_a_page_that_never_rendered_is_missing_and_the_publish_still_goes_out(
    published, mirror, broken
):
    incidents, _templates = broken
    incidents.update(range(published.active.pk + 1, published.active.pk + 20))  # new ones

    fresh = open_incident("Search is slow", body="Looking into it.", impact=Impact.MINOR)

    assert [r.sent for r in deliver_pending()] == [1]
    assert not mirror.file(f"incidents/{fresh.pk}/index.html").exists()
    assert b"Search is slow" in mirror.file("index.html").read_bytes()
    assert mirror.file("index.html").read_bytes() == live("/")
    assert list(state().unrendered) == [f"/incidents/{fresh.pk}/", f"/nb/incidents/{fresh.pk}/"]


def test_the_status_page_failing_fails_the_delivery_and_it_is_retried(published, mirror, broken):
    _incidents, templates = broken
    templates.add("incidents/status_page.html")
    before = mirror.files()

    actions.post_incident_update(published.active, status=IncidentStatus.MONITORING, body=NEWS)
    results = deliver_pending()

    assert [r.sent for r in results] == [0]
    delivery = latest_delivery()
    assert delivery.state == DeliveryState.RETRYING  # not given up: a later try may render
    assert "/ could not be rendered (ValueError" in delivery.last_error
    assert mirror.files() == before  # nothing published without its front page


def test_most_pages_failing_fails_the_build(published, broken):
    incidents, _templates = broken
    incidents.update({published.active.pk, published.resolved.pk})
    urls = ["/", f"/incidents/{published.active.pk}/", f"/incidents/{published.resolved.pk}/"]
    for cache in caches.all():
        cache.clear()  # the publishes left these pages in the page cache

    with pytest.raises(RenderError, match="2 of 3 pages could not be rendered"):
        list(render_pages(urls))


def test_a_refresh_skips_a_failing_page_and_reports_it(published, mirror, broken):
    incidents, _templates = broken
    refresh_mirrors()
    incidents.add(published.active.pk)
    # An edit that records no notice (as in the admin): only the refresh renders it.
    published.active.title = "Logins fail for some"
    published.active.save()

    outcome = refresh_mirrors()["mirror_local"]

    url = f"/incidents/{published.active.pk}/"
    assert outcome.endswith(f"(refresh); 2 pages could not be rendered: {url} /nb{url}")
    assert state().last_error == ""
    assert state().last_result == outcome
    assert list(state().unrendered) == [url, f"/nb{url}"]
    assert mirror.file("index.html").read_bytes() == live("/")


def test_staff_see_the_skipped_pages_on_the_dashboard(published, mirror, broken):
    incidents, _templates = broken
    incidents.add(published.active.pk)
    for cache in caches.all():
        cache.clear()
    call_command("build_mirror", stdout=io.StringIO())

    client = Client()
    verify_client(client, make_staff("erika", Role.EDITOR))
    page = client.get(reverse("console:dashboard")).content.decode()

    assert "2 pages could not be rendered" in page
    assert f"/incidents/{published.active.pk}/" in page


def test_a_database_that_refuses_on_any_page_fails_the_delivery(published, mirror, monkeypatch):
    real_render = views.render

    def render(request, template, context=None, *args, **kwargs):
        if template == "incidents/incident_detail.html":
            raise OperationalError("database is locked")
        return real_render(request, template, context, *args, **kwargs)

    monkeypatch.setattr(views, "render", render)
    before = mirror.files()

    actions.post_incident_update(published.active, status=IncidentStatus.MONITORING, body=NEWS)

    assert [r.sent for r in deliver_pending()] == [0]
    delivery = latest_delivery()
    assert delivery.state == DeliveryState.RETRYING
    assert "the database is busy or unreachable" in delivery.last_error
    assert mirror.files() == before
