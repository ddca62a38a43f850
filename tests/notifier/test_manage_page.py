"""A reader's own page: where we reach them, what they hear about, adding, removing, leaving."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Component
from notifier.manage import add_contact, token_of
from notifier.models import ContactPoint, Subscriber, Unsubscribed
from notifier.signed_links import (
    CONFIRM_SALT,
    SubscribeRequest,
    confirmation_token,
    read_confirmation_token,
    unsubscribe_token,
)
from notifier.tasks import send_confirmation
from tests.factories import make_component, make_group

pytestmark = pytest.mark.django_db


def page_of(reader: Subscriber) -> str:
    return reverse("manage_subscription", args=[token_of(reader)])


def confirmation_path(inbox) -> str:
    body = inbox.messages[-1].get_body(("plain",)).get_content()
    match = re.search(r"http://127\.0\.0\.1:8000(/subscribe/confirm/\S+/)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def reader() -> Subscriber:
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms", "+4791234567", component_ids=[], subscriber=reader)
    return reader


def test_the_page_lists_every_contact_with_its_channels_label_and_changes_nothing(client, reader):
    before = list(ContactPoint.objects.values())
    page = client.get(page_of(reader))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Email: <strong>reader@example.com</strong>" in html
    assert "SMS: <strong>+4791234567</strong>" in html  # the channel's public label
    # A channel not in this build's registry still shows, by its name.
    add_contact("pager", "4711", component_ids=[], subscriber=reader)
    assert "Pager: <strong>4711</strong>" in client.get(page_of(reader)).content.decode()
    assert "Every service" in html or "every service" in html
    assert client.head(page_of(reader)).status_code == 200
    assert list(ContactPoint.objects.exclude(channel="pager").values()) == before
    assert Subscriber.objects.get() == reader


def test_changes_need_the_csrf_token(reader):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(page_of(reader), {"action": "leave"}).status_code == 403
    assert Subscriber.objects.filter(pk=reader.pk).exists()


def test_choosing_services_saves_them_and_none_ticked_means_every_service(client, reader):
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    saved = client.post(page_of(reader), {"action": "components", "components": [imap.pk]})
    assert saved.status_code == 303
    assert saved["Location"].endswith("?done=components")
    assert list(reader.components.all()) == [imap]
    after = client.get(saved["Location"]).content.decode()
    assert "Saved:" in after and "Now: IMAP." in after
    assert re.search(rf'value="{imap.pk}"[^>]*checked', after)
    assert not re.search(rf'value="{smtp.pk}"[^>]*checked', after)

    client.post(page_of(reader), {"action": "components"})
    assert list(reader.components.all()) == []


def test_the_whole_group_box_means_each_of_its_services_and_shows_ticked_after(client, reader):
    mail = make_group("Mail", position=1)
    imap, smtp = make_component("IMAP", group=mail), make_component("SMTP", group=mail)
    web = make_component("Webmail")
    data = {"action": "components", "groups": [mail.pk], "components": [web.pk]}
    assert client.post(page_of(reader), data).status_code == 303
    assert set(reader.components.all()) == {imap, smtp, web}
    html = client.get(page_of(reader)).content.decode()
    assert re.search(rf'name="groups" value="{mail.pk}"[^>]*checked', html)
    assert "<legend>Mail</legend>" in html and "The whole group" in html


def test_an_unknown_service_is_a_clear_400_and_changes_nothing(client, reader):
    imap = make_component("IMAP")
    reader.components.set([imap])
    for choice in ("999", "99999999999999999999", "x"):
        page = client.post(page_of(reader), {"action": "components", "components": choice})
        assert page.status_code == 400
        assert "does not exist" in page.content.decode()
    bad_group = client.post(page_of(reader), {"action": "components", "groups": "999"})
    assert bad_group.status_code == 400
    assert list(reader.components.all()) == [imap]


def test_removing_one_contact_keeps_the_others(client, reader):
    point = reader.contact_points.get()
    removed = client.post(page_of(reader), {"action": "remove", "contact": str(point.pk)})
    assert removed.status_code == 303 and removed["Location"].endswith("?done=removed")
    assert not ContactPoint.objects.exists()
    reader.refresh_from_db()
    assert reader.email == "reader@example.com"
    page = client.get(removed["Location"]).content.decode()
    assert "Removed:" in page and "removing it ends your subscription" in page


def test_removing_the_email_withdraws_its_links_and_keeps_the_other_contacts(client, reader):
    assert client.post(page_of(reader), {"action": "remove", "contact": "email"}).status_code == 303
    reader.refresh_from_db()
    assert reader.email is None and reader.contact_points.count() == 1
    assert Unsubscribed.objects.count() == 1


def test_removing_the_last_contact_is_leaving(client, reader):
    url = page_of(reader)
    client.post(url, {"action": "remove", "contact": "email"})
    point = ContactPoint.objects.get()
    left = client.post(url, {"action": "remove", "contact": str(point.pk)})
    assert left.status_code == 200
    assert "Your details have been deleted" in left.content.decode()
    assert not Subscriber.objects.exists() and not ContactPoint.objects.exists()
    assert client.get(url).status_code == 400


def test_another_readers_contact_cannot_be_removed(client, reader):
    other = add_contact("sms", "+4790000000", component_ids=[])
    for contact in (str(other.pk), "99999999999999999999999", "²", ""):
        client.post(page_of(reader), {"action": "remove", "contact": contact})
    assert ContactPoint.objects.filter(pk=other.pk).exists()
    assert reader.contact_points.count() == 1


def test_leaving_deletes_everything(client, reader):
    left = client.post(page_of(reader), {"action": "leave"})
    assert left.status_code == 200
    assert not Subscriber.objects.exists() and not ContactPoint.objects.exists()


def test_a_bad_or_stale_link_is_a_clear_400(client, reader):
    url = page_of(reader)
    assert client.get(url.replace("/subscription/", "/subscription/x")).status_code == 400
    reader.key = "renewed"
    reader.save()
    for response in (client.get(url), client.post(url, {"action": "leave"})):
        assert response.status_code == 400
        assert "no longer exists" in response.content.decode()
    assert Subscriber.objects.filter(pk=reader.pk).exists()


def test_each_way_to_subscribe_is_offered_with_the_readers_token(client, reader):
    html = client.get(page_of(reader)).content.decode()
    token = token_of(reader).replace(":", "%3A")
    assert f'subscribe/?for={token}"' in html  # relative: the page works from a mirror too


def test_adding_an_email_runs_the_double_opt_in_and_joins_the_reader(client, inbox, eager_celery):
    imap = make_component("IMAP")
    reader = add_contact("sms", "+4791234567", component_ids=[imap.pk]).subscriber
    token = token_of(reader)
    form = client.get(reverse("subscribe"), {"for": token}).content.decode()
    assert "Add an email address" in form and 'name="for"' in form
    assert 'name="components"' not in form  # the reader's page sets the services

    sent = client.post(reverse("subscribe"), {"email": "new@example.com", "for": token})
    assert sent.status_code == 200 and "Check your email" in sent.content.decode()
    assert Subscriber.objects.get().email is None  # nothing stored before confirming
    mail = inbox.messages[-1].get_body(("plain",)).get_content()
    assert "added to a" in mail and "IMAP" in mail

    link = confirmation_path(inbox)
    assert "Yes, add this address" in client.get(link).content.decode()
    done = client.post(link)
    assert "Your address is added" in done.content.decode()
    reader.refresh_from_db()
    assert reader.email == "new@example.com"
    assert list(reader.components.all()) == [imap]
    assert Subscriber.objects.count() == 1


def test_an_address_another_reader_had_moves_to_the_one_who_confirmed(client):
    holder = Subscriber.objects.create(email="shared@example.com")
    reader = add_contact("sms", "+4791234567", component_ids=[]).subscriber
    wish = SubscribeRequest.joining("shared@example.com", token_of(reader))
    client.post(reverse("subscribe_confirm", args=[confirmation_token(wish)]))
    reader.refresh_from_db()
    assert reader.email == "shared@example.com"
    assert not Subscriber.objects.filter(pk=holder.pk).exists()


def test_a_joining_link_after_the_reader_left_subscribes_nobody(client):
    reader = add_contact("sms", "+4791234567", component_ids=[]).subscriber
    wish = SubscribeRequest.joining("new@example.com", token_of(reader))
    link = reverse("subscribe_confirm", args=[confirmation_token(wish)])
    reader.delete()
    Subscriber.objects.create(pk=reader.pk, email="someone@example.com")  # the id reused
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        assert "no longer exists" in response.content.decode()
    assert not Subscriber.objects.filter(email="new@example.com").exists()


def test_a_bad_token_on_the_subscribe_page_is_a_clear_400(client, inbox, eager_celery):
    response = client.post(reverse("subscribe"), {"email": "a@example.com", "for": "nope"})
    assert response.status_code == 400
    assert client.get(reverse("subscribe"), {"for": "nope"}).status_code == 400
    assert inbox.messages == []


def test_confirmation_links_made_before_readers_had_pages_still_read():
    old = signing.dumps({"e": "r@example.com", "c": [3], "t": 1.0}, salt=CONFIRM_SALT)
    assert read_confirmation_token(old) == SubscribeRequest("r@example.com", (3,))
    joined = SubscribeRequest("r@example.com", (), subscriber_id=7, subscriber_key_hash="abc")
    assert read_confirmation_token(confirmation_token(joined)) == joined


def test_the_unsubscribe_page_links_to_the_readers_own_page_and_still_unsubscribes(client, reader):
    url = reverse("unsubscribe", args=[unsubscribe_token(reader.pk, reader.email)])
    html = client.get(url).content.decode()
    assert f'{page_of(reader).lstrip("/")}"' in html and "Change what you get" in html
    assert client.post(url).status_code == 200  # one click, no CSRF token (RFC 8058)
    reader.refresh_from_db()
    assert reader.email is None


def test_an_unsubscribe_link_for_another_address_offers_no_own_page(client, reader):
    url = reverse("unsubscribe", args=[unsubscribe_token(reader.pk, "earlier@example.com")])
    page = client.get(url)
    assert page.status_code == 200 and "Change what you get" not in page.content.decode()


def test_no_confirmation_mail_goes_out_for_a_reader_who_left_before_it_was_sent(inbox):
    reader = add_contact("sms", "+4791234567", component_ids=[]).subscriber
    wish = SubscribeRequest.joining("new@example.com", token_of(reader))
    reader.delete()
    send_confirmation(wish.email, [], wish.subscriber_id, wish.subscriber_key_hash)
    assert inbox.messages == []


def test_the_page_costs_the_same_queries_however_many_contacts_and_services(client, reader):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_of(reader)).status_code == 200
        return len(captured)

    make_component("IMAP", group=make_group("Mail"))
    few = queries()
    for n in range(5):
        add_contact("sms", f"+479000000{n}", component_ids=[], subscriber=reader)
        make_component(f"Service {n}", group=make_group(f"Group {n}"))
    reader.components.set(Component.objects.all())
    assert queries() == few
