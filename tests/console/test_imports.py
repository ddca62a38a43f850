"""The WordPress import in the console: upload, review, change a kind, skip one, apply."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from importers.models import ImportReview, SourceKey
from incidents.models import Incident, Maintenance, Post
from notifier.models import Notice
from tests.importers.test_wxr_reading import ENTITY_BOMB
from tests.importers.wordpress_fixture import RUNBOX_WXR

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name: str = "runbox.xml", **fields: str):
    export = SimpleUploadedFile(name, data, content_type="text/xml")
    return client.post("/staff/imports/", {"export": export, "status_category": "status", **fields})


def test_the_review_shows_each_item_and_nothing_is_written_before_apply(signed_in, admin_user):
    client = signed_in(admin_user)
    response = upload(client, RUNBOX_WXR.read_bytes())
    review = ImportReview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/imports/{review.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Times are shown in Europe/Oslo" in page
    assert "by Geir" in page  # the author's display name from the export
    assert "an incident, resolved: “Email services down because of DDoS”" in page
    assert "Fri 25 Jan 2013, 00:45 CET [00:45 CET]" in page
    assert "a maintenance window, postponed" in page
    assert "a post at /blog/spam-filter-upgrades-and-policies/" in page
    assert not Post.objects.exists() and not Incident.objects.exists()
    assert not SourceKey.objects.exists()


def test_staff_change_one_kind_skip_one_and_apply(signed_in, admin_user):
    client = signed_in(admin_user)
    upload(client, RUNBOX_WXR.read_bytes())
    review = ImportReview.objects.get()
    changed = client.post(
        f"/staff/imports/{review.pk}/items/104/", {"kind": "post"}, HTTP_HX_REQUEST="true"
    )
    assert changed.status_code == 200
    assert "a post at /blog/email-services-down-because-of-ddos/" in changed.content.decode()
    assert "(changed from incident)" in changed.content.decode()
    skipped = client.post(f"/staff/imports/{review.pk}/items/101/", {"kind": "skip", "page": "1"})
    assert skipped["Location"] == f"/staff/imports/{review.pk}/?page=1#item-101"
    assert not Post.objects.exists()

    applied = client.post(f"/staff/imports/{review.pk}/apply/", follow=True)
    assert "Imported runbox.xml: 9 created, 1 skipped. Nobody was notified." in (
        applied.content.decode()
    )
    assert Post.objects.filter(slug="email-services-down-because-of-ddos").exists()
    assert not Incident.objects.filter(title__contains="DDoS").exists()
    assert not Maintenance.objects.filter(title__endswith="underway").exists()
    assert Maintenance.objects.count() == 1
    assert not Notice.objects.exists()
    review.refresh_from_db()
    assert review.applied_by == admin_user
    again = client.post(f"/staff/imports/{review.pk}/apply/", follow=True)
    assert "already been applied" in again.content.decode()
    assert Post.objects.count() == 6


def test_a_kind_an_item_cannot_take_is_refused(signed_in, admin_user):
    client = signed_in(admin_user)
    upload(client, RUNBOX_WXR.read_bytes())
    review = ImportReview.objects.get()
    refused = client.post(
        f"/staff/imports/{review.pk}/items/102/", {"kind": "maintenance"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 400
    assert "cannot become 'maintenance'" in refused.content.decode()
    assert ImportReview.objects.get().choices == {}


def test_a_hostile_or_broken_file_is_refused_on_the_upload_page(signed_in, admin_user):
    client = signed_in(admin_user)
    response = upload(client, ENTITY_BOMB, name="bomb.xml")
    assert response.status_code == 400
    assert "bomb.xml: declares the entity" in response.content.decode()
    response = upload(client, b"<rss><channel>\n<item>", name="cut.xml")
    assert "cut.xml, line 2, column 7: malformed XML" in response.content.decode()
    assert not ImportReview.objects.exists()


def test_a_failing_item_leaves_nothing_and_says_which(signed_in, admin_user):
    from tests.factories import publish_post

    client = signed_in(admin_user)
    upload(client, RUNBOX_WXR.read_bytes())
    publish_post(slug="spam-filter-upgrades-and-policies")
    review = ImportReview.objects.get()
    response = client.post(f"/staff/imports/{review.pk}/apply/", follow=True)
    assert "Nothing was imported: item 9 (post 109" in response.content.decode()
    assert Post.objects.count() == 1 and not Incident.objects.exists()
    review.refresh_from_db()
    assert review.applied_at is None


def test_editors_may_not_import(signed_in, editor):
    response = upload(signed_in(editor), RUNBOX_WXR.read_bytes())
    assert response.status_code == 403
    assert not ImportReview.objects.exists()
