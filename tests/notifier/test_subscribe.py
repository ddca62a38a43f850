"""Subscribing with double opt-in, confirming, unsubscribing: clear answers, nothing lost."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.urls import reverse

from notifier.models import Subscriber
from notifier.signed_links import SubscribeRequest, confirmation_token, unsubscribe_token
from tests.factories import make_component

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def confirmation_link(inbox) -> str:
    body = inbox.messages[-1].get_body(("plain",)).get_content()
    match = re.search(r"http://127\.0\.0\.1:8000(/subscribe/confirm/\S+/)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def ask(client, inbox, eager_celery):
    def post(email: str, *components, **extra):
        data = {"email": email, "components": [c.pk for c in components]}
        return client.post(reverse("subscribe"), data, **extra)

    return post


def test_the_form_lists_the_services_to_choose_from(client):
    make_component("IMAP")
    make_component("SMTP")
    page = client.get(reverse("subscribe")).content.decode()
    assert "IMAP" in page and "SMTP" in page
    assert 'type="email"' in page


def test_nothing_is_stored_until_the_link_is_confirmed_with_the_button(client, ask, inbox):
    imap = make_component("IMAP")
    response = ask("reader@example.com", imap)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert inbox.messages[0]["To"] == "reader@example.com"
    assert "IMAP" in inbox.messages[0].get_body(("plain",)).get_content()

    link = confirmation_link(inbox)
    assert "Yes, subscribe" in client.get(link).content.decode()
    assert not Subscriber.objects.exists()  # a link scanner opening it confirms nothing

    response = client.post(link)
    assert "You are subscribed" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.com"
    assert list(subscriber.components.all()) == [imap]


def test_confirming_twice_keeps_one_subscription(client, ask, inbox):
    ask("reader@example.com")
    link = confirmation_link(inbox)
    client.post(link)
    again = client.post(link)
    assert again.status_code == 200
    assert "up to date" in again.content.decode()
    assert Subscriber.objects.count() == 1


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(ask):
    Subscriber.objects.create(email="known@example.com")
    known = ask("known@example.com").content.decode().replace("known@", "X@")
    unknown = ask("other@example.com").content.decode().replace("other@", "X@")
    strip_csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip_csrf.sub("", known) == strip_csrf.sub("", unknown)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "does not look like an email address"),
        ("", "Enter the address"),
        ("a" * 250 + "@example.com", "at most 254 characters"),
        ("a@localhost", "public domain"),
        ("a@[127.0.0.1]", "public domain"),
        ("a@mail.internal", "public domain"),
        ("a@printer.local", "public domain"),
    ],
)
def test_a_bad_address_gets_a_clear_message_and_nothing_is_sent(ask, inbox, email, message):
    response = ask(email)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert inbox.messages == [] and not Subscriber.objects.exists()


def test_an_unknown_service_is_refused_clearly(client, inbox, eager_celery):
    response = client.post(reverse("subscribe"), {"email": "r@example.com", "components": [999]})
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert inbox.messages == []


@pytest.mark.parametrize("choice", ["99999999999999999999", "9223372036854775808", "-1", "1e3"])
def test_a_service_number_out_of_range_is_refused_clearly(client, inbox, eager_celery, choice):
    response = client.post(reverse("subscribe"), {"email": "r@example.com", "components": choice})
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert inbox.messages == []


def test_an_address_on_an_international_public_domain_is_accepted(ask, inbox):
    assert ask("reader@bücher.example").status_code == 200
    assert inbox.messages[0]["To"] == "reader@xn--bcher-kva.example"


def test_an_oversized_form_is_refused_without_a_server_error(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post(
        reverse("subscribe"), {"email": "r@example.com", "padding": "x" * 20_000}
    )
    assert response.status_code == 400


def test_more_than_the_hourly_limit_from_one_address_is_refused(ask, settings, inbox):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    codes = [ask(f"r{n}@example.com", REMOTE_ADDR="192.0.2.7").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert len(inbox.messages) == 2
    assert ask("other@example.com", REMOTE_ADDR="192.0.2.8").status_code == 200


def test_behind_the_proxy_one_readers_subscribes_do_not_limit_another(ask, settings, inbox):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    first = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    second = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    codes = [ask(f"r{n}@example.com", **first).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert ask("other@example.com", **second).status_code == 200


def test_a_tampered_confirmation_link_is_refused_clearly(client):
    token = confirmation_token(SubscribeRequest("reader@example.com", ()))
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = client.post(reverse("subscribe_confirm", args=[tampered]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_an_expired_confirmation_link_says_so(client, monkeypatch, settings):
    settings.SUBSCRIBE_CONFIRM_MAX_AGE = 3600
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 7200)
    token = confirmation_token(SubscribeRequest("reader@example.com", ()))
    monkeypatch.setattr(signing.time, "time", real_time)
    response = client.post(reverse("subscribe_confirm", args=[token]))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_unsubscribe_shows_a_button_then_deletes_and_a_second_time_says_so(client):
    subscriber = Subscriber.objects.create(email="reader@example.com")
    url = reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, subscriber.email)])
    assert "Unsubscribe" in client.get(url).content.decode()
    assert Subscriber.objects.exists()  # opening the link alone deletes nothing

    first = client.post(url)
    assert "You are unsubscribed" in first.content.decode()
    assert not Subscriber.objects.exists()
    second = client.post(url)
    assert second.status_code == 200
    assert "Already unsubscribed" in second.content.decode()


def test_an_old_link_cannot_unsubscribe_someone_who_later_got_the_same_id(client):
    first = Subscriber.objects.create(email="first@example.com")
    url = reverse("unsubscribe", args=[unsubscribe_token(first.pk, first.email)])
    first.delete()
    Subscriber.objects.create(pk=first.pk, email="second@example.com")
    assert "Already unsubscribed" in client.post(url).content.decode()
    assert Subscriber.objects.filter(email="second@example.com").exists()


def test_a_tampered_unsubscribe_link_is_refused_clearly(client):
    response = client.post(reverse("unsubscribe", args=["not-a-token"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_confirmation_link_no_longer_subscribes_after_the_reader_unsubscribed(client, ask, inbox):
    ask("reader@example.com")
    link = confirmation_link(inbox)
    client.post(link)
    subscriber = Subscriber.objects.get()
    client.post(reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, subscriber.email)]))
    assert not Subscriber.objects.exists()

    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 400
        assert "You unsubscribed after this confirmation link was sent" in answer.content.decode()
    assert not Subscriber.objects.exists()


def test_a_link_asked_for_after_unsubscribing_subscribes_again(client, ask, inbox):
    subscriber = Subscriber.objects.create(email="reader@example.com")
    client.post(reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, subscriber.email)]))
    ask("reader@example.com")
    assert "You are subscribed" in client.post(confirmation_link(inbox)).content.decode()
    assert Subscriber.objects.filter(email="reader@example.com").exists()


def test_a_link_unconfirmed_when_another_address_unsubscribed_still_works(client, ask, inbox):
    other = Subscriber.objects.create(email="other@example.com")
    ask("reader@example.com")
    link = confirmation_link(inbox)
    client.post(reverse("unsubscribe", args=[unsubscribe_token(other.pk, other.email)]))
    assert "You are subscribed" in client.post(link).content.decode()


def test_unsubscribe_records_are_forgotten_once_no_link_they_withdraw_can_live(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifier.models import Unsubscribed

    settings.SUBSCRIBE_CONFIRM_MAX_AGE = 3600
    Unsubscribed.objects.create(key="old", at=timezone.now() - timedelta(hours=2))
    subscriber = Subscriber.objects.create(email="reader@example.com")
    client.post(reverse("unsubscribe", args=[unsubscribe_token(subscriber.pk, subscriber.email)]))
    assert not Unsubscribed.objects.filter(key="old").exists()
    assert Unsubscribed.objects.count() == 1
