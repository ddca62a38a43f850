"""Old WordPress addresses lead to what their posts became; `/` stays the status page."""

from __future__ import annotations

import pytest

from importers.wordpress_apply import apply_plan
from incidents.models import Incident, Maintenance, Post
from tests.importers.wordpress_fixture import runbox_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported() -> None:
    plan = runbox_plan()
    apply_plan(plan["source"], plan["items"])


def test_a_dated_permalink_leads_to_the_post(client, imported):
    response = client.get("/2016/01/24/spam-filter-upgrades-and-policies/")
    assert response.status_code == 301
    assert response["Location"] == "/blog/spam-filter-upgrades-and-policies/"


def test_a_permalink_of_a_post_imported_as_an_incident_leads_to_the_incident(client, imported):
    incident = Incident.objects.get(title="Email services down because of DDoS")
    response = client.get("/2013/01/25/email-services-down-because-of-ddos/")
    assert response.status_code == 301
    assert response["Location"] == f"/incidents/{incident.pk}/"


def test_a_percent_encoded_slug_still_finds_its_incident(client, imported):
    incident = Incident.objects.get(title="“Heartbleed” SSL vulnerability")
    response = client.get("/2014/04/10/%e2%80%9cheartbleed%e2%80%9d-ssl-vulnerability/")
    assert response["Location"] == f"/incidents/{incident.pk}/"


def test_p_id_leads_to_the_maintenance_page(client, imported):
    maintenance = Maintenance.objects.get(title="Scheduled database replacement and downtime")
    response = client.get("/?p=103")
    assert response.status_code == 301
    assert response["Location"] == f"/maintenance/{maintenance.pk}/"


def test_an_unknown_address_is_not_found(client, imported):
    assert client.get("/2016/01/24/no-such-post/").status_code == 404


def test_a_draft_is_not_found_by_its_old_id(client, imported):
    draft = Post.objects.get(published_at=None)
    assert client.get("/?p=110").status_code == 200  # the status page, telling nothing
    assert draft.title not in client.get("/?p=110").content.decode()


def test_the_status_page_ignores_an_unknown_p_and_other_extras_from_the_cache(
    client, imported, django_assert_num_queries
):
    plain = client.get("/")
    assert plain.status_code == 200
    assert client.get("/?p=99999").content == plain.content
    with django_assert_num_queries(2):  # the ?p= lookup and the token; the page from cache
        assert client.get("/?p=99999&utm_source=newsletter").content == plain.content
    assert client.get("/?utm_source=newsletter").content == plain.content
