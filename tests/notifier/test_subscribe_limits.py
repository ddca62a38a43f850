"""The subscribe form's rate limit as a reader meets it, and what a repeated subscribe changes."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from notifier import subscriptions
from notifier.models import Subscriber
from tests.factories import make_component

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

ADDRESS = "192.0.2.7"


@pytest.fixture
def ask(client, inbox, eager_celery):
    def post(email: str, *components, **data):
        data = {"email": email, "components": [c.pk for c in components], **data}
        return client.post(reverse("subscribe"), data, REMOTE_ADDR=ADDRESS)

    return post


def mail_text(inbox) -> str:
    body = inbox.messages[-1].get_body(("plain",)).get_content()
    return body.replace("\r\n", "\n")  # as it arrived over SMTP


def confirmation_path(inbox) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/subscribe/confirm/\S+/)", mail_text(inbox))
    assert match
    return match.group(1)


def test_requests_refused_as_invalid_do_not_use_up_the_allowance(ask, settings, inbox):
    settings.SUBSCRIBE_RATE_LIMIT = 1
    make_component("IMAP")
    assert ask("not-an-address").status_code == 400
    assert ask("reader@example.com", components=[999]).status_code == 400
    assert ask("reader@example.com").status_code == 200
    assert ask("other@example.com").status_code == 429
    assert len(inbox.messages) == 1


def test_the_refusal_says_how_long_to_wait(ask, settings, inbox):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    fifty_minutes_ago = subscriptions.subscribe_rate_limit(clock=lambda: time.time() - 50 * 60)
    assert fifty_minutes_ago.hit(ADDRESS).allowed and fifty_minutes_ago.hit(ADDRESS).allowed
    response = ask("reader@example.com")
    assert response.status_code == 429
    page = response.content.decode()
    assert "asked for 2 confirmation links within the last hour" in page
    assert "try again in about 10 minutes" in page
    assert 590 <= int(response["Retry-After"]) <= 600
    assert inbox.messages == []


def subscribed(email: str, *components) -> Subscriber:
    subscriber = Subscriber.objects.create(email=email)
    subscriber.components.set(components)
    return subscriber


def test_a_subscriber_asking_for_every_service_is_told_what_changes(ask, client, inbox):
    imap, smtp = make_component("IMAP", position=1), make_component("SMTP", position=2)
    subscribed("reader@example.com", imap, smtp)
    assert ask("reader@example.com").status_code == 200
    message = inbox.messages[-1]
    assert message["Subject"] == "Confirm the change to your Runbox Status subscription"
    text = mail_text(inbox)
    assert "You now get notices for: IMAP, SMTP.\nAfter you confirm: every service.\n" in text
    assert "ignore this mail: your subscription stays as it is" in text
    assert "your address is not stored" not in text

    page = client.get(confirmation_path(inbox)).content.decode()
    assert "now gets notices for: IMAP, SMTP." in page
    assert "After you confirm: every service." in page
    assert "Yes, make this change" in page


def test_a_changed_choice_lists_what_is_added_and_removed(ask, client, inbox):
    imap = make_component("IMAP", position=1)
    pop = make_component("POP", position=2)
    smtp = make_component("SMTP", position=3)
    subscribed("reader@example.com", imap, smtp)
    ask("reader@example.com", pop, smtp)
    assert (
        "You now get notices for: IMAP, SMTP.\n"
        "After you confirm: POP, SMTP.\n"
        "Added: POP.\n"
        "Removed: IMAP.\n"
    ) in mail_text(inbox)
    page = client.get(confirmation_path(inbox)).content.decode()
    assert "<li>Added: POP</li>" in page and "<li>Removed: IMAP</li>" in page

    client.post(confirmation_path(inbox))
    assert list(Subscriber.objects.get().components.all()) == [pop, smtp]


def test_a_subscriber_narrowing_from_every_service_is_told_so(ask, inbox):
    smtp = make_component("SMTP")
    subscribed("reader@example.com")
    ask("reader@example.com", smtp)
    text = mail_text(inbox)
    assert "You now get notices for: every service.\nAfter you confirm: SMTP.\n" in text
    assert "Added:" not in text and "Removed:" not in text


def test_the_same_choice_again_is_said_to_change_nothing(ask, client, inbox):
    imap = make_component("IMAP")
    subscribed("reader@example.com", imap)
    ask("reader@example.com", imap)
    assert inbox.messages[-1]["Subject"] == "Confirm your subscription to Runbox Status"
    assert "After you confirm: the same, nothing changes." in mail_text(inbox)
    assert "Confirming changes nothing." in client.get(confirmation_path(inbox)).content.decode()


def test_a_new_address_is_not_told_of_a_subscription_it_has_not_got(ask, client, inbox):
    imap = make_component("IMAP")
    ask("new@example.com", imap)
    text = mail_text(inbox)
    assert "notices to be sent to this address for IMAP." in text
    assert "You now get" not in text and "your address is not stored" in text
    page = client.get(confirmation_path(inbox)).content.decode()
    assert "for IMAP?" in page and "Yes, subscribe" in page
