"""Detail pages read ahead in batches (a mirror build) are the pages read one by one."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import actions
from incidents.detail_pages import BATCH, reading_ahead
from incidents.models import Incident, Maintenance, Post
from tests.factories import bulk_history, make_category, make_component, make_tag

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def history(db) -> list[str]:
    """Incident, maintenance and post pages, in both languages, in a build's order."""
    bulk_history(
        12,
        now=timezone.now(),
        components=[make_component("IMAP"), make_component("SMTP")],
        category=make_category("News"),
        tag=make_tag("Spam"),
    )
    incident = Incident.objects.earliest("pk")
    actions.translate(incident, "nb", {"title": "Treg e-post"})
    pages = [
        *(i.get_absolute_url() for i in Incident.objects.all()),
        *(m.get_absolute_url() for m in Maintenance.objects.all()),
        *(p.get_absolute_url() for p in Post.objects.published()),
    ]
    return pages + [f"/nb{page}" for page in pages]


def render(client: Client, pages: list[str]) -> tuple[dict[str, bytes], int]:
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as captured:
        bodies = {}
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            bodies[page] = response.content
    return bodies, len(captured.captured_queries)


def test_pages_read_ahead_are_the_pages_read_one_by_one(client, history):
    one_by_one, queries_one_by_one = render(client, history)
    with reading_ahead(history):
        read_ahead, queries_ahead = render(client, history)

    assert read_ahead == one_by_one
    assert (
        "Treg e-post"
        in read_ahead[f"/nb{Incident.objects.earliest('pk').get_absolute_url()}"].decode()
    )
    # Each kind's rows come in a few queries per language, not a few per page.
    assert queries_ahead < queries_one_by_one / 2


def test_a_page_asked_again_or_unplanned_reads_its_own_rows(client, history):
    incident = Incident.objects.latest("pk")
    page = incident.get_absolute_url()
    with reading_ahead([page]):
        assert client.get(page).status_code == 200
        # Changed after its batch was read and used: asked again, the page reads it afresh.
        Incident.objects.filter(pk=incident.pk).update(title="Mail is slow again")
        caches["pages"].clear()
        assert "Mail is slow again" in client.get(page).content.decode()
        other = Incident.objects.earliest("pk").get_absolute_url()
        assert client.get(other).status_code == 200


def test_a_page_gone_since_it_was_planned_is_not_found(client, history):
    incidents = list(Incident.objects.order_by("pk"))
    pages = [incident.get_absolute_url() for incident in incidents]
    with reading_ahead([*pages, "/no-such-page/", "/nb/blog/no-such-post/"]):
        Incident.objects.filter(pk=incidents[1].pk).delete()
        assert client.get(pages[0]).status_code == 200
        assert client.get(pages[1]).status_code == 404
        assert client.get("/nb/blog/no-such-post/").status_code == 404
        assert client.get(pages[2]).status_code == 200


def test_the_next_page_comes_from_the_batch_already_read(client, history):
    planned = [i.get_absolute_url() for i in Incident.objects.order_by("pk")][:BATCH]
    with reading_ahead(planned):
        with CaptureQueriesContext(connection) as first:
            client.get(planned[0])
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as second:
            client.get(planned[1])
    read = [q["sql"] for q in first.captured_queries if "incidents_incident" in q["sql"]]
    assert read, "the first page reads the batch"
    assert not [q for q in second.captured_queries if 'incidents_incident"' in q["sql"]]
