"""Contact points: how a reader is reached beyond email, their own page, and leaving."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifier.channels.contact import ContactPointChannel, forget, manage_url
from notifier.manage import add_contact
from notifier.models import ContactPoint, Notice, NoticeKind, Subscriber, Unsubscribed
from notifier.registry import subscribe_ways
from notifier.signed_links import manage_token, unsubscribe_token
from notifier.subscriptions import unsubscribe
from tests.factories import make_component, open_incident

pytestmark = pytest.mark.django_db


class SmsLike(ContactPointChannel):
    name = "sms-like"
    label = "A test channel"


def test_a_new_contact_gets_a_reader_of_its_own_with_the_chosen_components():
    mail = make_component("Mail")
    point = add_contact("sms-like", "+4791234567", component_ids=[mail.pk])
    assert point.subscriber.email is None
    assert list(point.subscriber.components.all()) == [mail]
    again = add_contact("sms-like", "+4791234567", component_ids=[])
    assert again.pk == point.pk
    assert list(again.subscriber.components.all()) == []
    assert Subscriber.objects.count() == 1


def test_a_contact_added_from_a_readers_page_joins_that_reader_and_leaves_no_orphan():
    alone = add_contact("sms-like", "+4791234567", component_ids=[])
    reader = Subscriber.objects.create(email="reader@example.com")
    moved = add_contact("sms-like", "+4791234567", component_ids=[], subscriber=reader)
    assert moved.pk == alone.pk and moved.subscriber == reader
    assert not Subscriber.objects.filter(pk=alone.subscriber_id).exists()


def test_the_audience_follows_the_components_the_reader_chose():
    mail, web = make_component("Mail"), make_component("Webmail")
    everything = add_contact("sms-like", "+4790000001", component_ids=[])
    only_mail = add_contact("sms-like", "+4790000002", component_ids=[mail.pk])
    add_contact("sms-like", "+4790000003", component_ids=[web.pk])
    add_contact("other", "+4790000001", component_ids=[])
    incident = open_incident(components={mail: "major_outage"})
    notice = Notice.objects.create(kind=NoticeKind.INCIDENT_OPENED, incident=incident)
    assert SmsLike().targets(notice) == [str(everything.pk), str(only_mail.pk)]


def test_forgetting_the_last_contact_deletes_the_reader_but_not_one_with_email():
    point = add_contact("sms-like", "+4791234567", component_ids=[])
    forget(point, "the number opted out")
    assert not Subscriber.objects.exists()
    reader = Subscriber.objects.create(email="reader@example.com")
    point = add_contact("sms-like", "+4791234567", component_ids=[], subscriber=reader)
    forget(point, "the number opted out")
    assert Subscriber.objects.get() == reader


def test_unsubscribing_from_email_keeps_the_readers_other_channels():
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms-like", "+4791234567", component_ids=[], subscriber=reader)
    assert unsubscribe(unsubscribe_token(reader.pk, "reader@example.com"))
    reader.refresh_from_db()
    assert reader.email is None and reader.contact_points.count() == 1


def test_the_readers_page_shows_their_contacts_and_leaving_deletes_everything(client: Client):
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms-like", "+4791234567", component_ids=[], subscriber=reader)
    url = manage_url(reader)
    page = client.get(url)
    assert page.status_code == 200
    assert b"reader@example.com" in page.content and b"+4791234567" in page.content
    left = client.post(url, {"action": "leave"})
    assert left.status_code == 200
    assert not Subscriber.objects.exists() and not ContactPoint.objects.exists()
    assert Unsubscribed.objects.count() == 1
    assert client.get(url).status_code == 400


def test_a_tampered_or_stale_link_to_the_readers_page_is_a_clear_400(client: Client):
    reader = Subscriber.objects.create(email="reader@example.com")
    token = manage_token(reader.pk, reader.key)
    assert client.get(reverse("manage_subscription", args=[token + "x"])).status_code == 400
    reader.key = "renewed"
    reader.save()
    page = client.get(reverse("manage_subscription", args=[token]))
    assert page.status_code == 400 and b"no longer exists" in page.content


def test_email_and_browser_push_are_the_ways_to_subscribe_with_nothing_configured(settings):
    settings.CHAT_WEBHOOKS_ENABLED = False  # on by default: it needs no keys
    # Push needs no settings: its key pair is made on first use (notifier/push_keys.py).
    assert [way.name for way in subscribe_ways()] == ["email", "push"]
