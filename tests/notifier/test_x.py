"""Notices reach X through tweepy, faked at the HTTP layer with the exact requests asserted."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch, tasks
from notifier.channels.x import x_length
from notifier.ledger import default_channels
from notifier.models import Delivery, DeliveryState, Notice
from notifier.registry import channel_named
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db]

TWEETS = "https://api.twitter.com/2/tweets"
MASTODON = "https://mastodon.example"


@pytest.fixture(autouse=True)
def x_keys(settings):
    settings.X_API_KEY = "consumer-key"
    settings.X_API_SECRET = "consumer-secret"
    settings.X_ACCESS_TOKEN = "access-token"
    settings.X_ACCESS_TOKEN_SECRET = "access-secret"
    settings.MASTODON_API_BASE_URL = settings.MASTODON_ACCESS_TOKEN = ""
    return settings


@pytest.fixture
def x_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def created(mock: responses.RequestsMock, tweet_id: str) -> None:
    mock.post(TWEETS, status=201, json={"data": {"id": tweet_id, "text": "..."}})


def sent_json(call) -> dict:
    return json.loads(call.request.body)


def assert_signed_with_oauth1(call) -> None:
    authorization = call.request.headers["Authorization"]
    assert authorization.startswith("OAuth ")
    assert 'oauth_consumer_key="consumer-key"' in authorization
    assert 'oauth_token="access-token"' in authorization
    assert 'oauth_signature_method="HMAC-SHA1"' in authorization


def open_ddos(**kwargs) -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we are working to find out where.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
        **kwargs,
    )


def x_delivery(notice: Notice) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="x")


def test_an_incident_becomes_a_thread_of_three_posts_each_replying_to_the_one_before(
    x_api, eager_celery, django_capture_on_commit_callbacks
):
    for tweet_id in ("1001", "1002", "1003"):
        created(x_api, tweet_id)

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
    with django_capture_on_commit_callbacks(execute=True):
        actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body="The attackers changed tactics; we are filtering.",
            posted_at=oslo(2013, 1, 25, 1, 45),
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_incident(
            incident, body="Mail flows again.", posted_at=oslo(2013, 1, 25, 3, 0)
        )

    assert len(x_api.calls) == 3
    for call in x_api.calls:
        assert (call.request.method, call.request.url) == ("POST", TWEETS)
        assert call.request.headers["Content-Type"] == "application/json"
        assert_signed_with_oauth1(call)
        assert call.request.req_kwargs["timeout"] == 10
    link = f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    assert sent_json(x_api.calls[0]) == {
        "text": "Email services down because of DDoS: investigating (00:15 CET)\n"
        "Our email services are inaccessible and we are working to find out where.\n" + link
    }
    assert sent_json(x_api.calls[1]) == {
        "reply": {"in_reply_to_tweet_id": "1001"},
        "text": "Email services down because of DDoS: identified (01:45 CET)\n"
        "The attackers changed tactics; we are filtering.\n" + link,
    }
    assert sent_json(x_api.calls[2])["reply"] == {"in_reply_to_tweet_id": "1002"}
    assert sent_json(x_api.calls[2])["text"].startswith(
        "Email services down because of DDoS: resolved (03:00 CET)\nMail flows again.\n"
    )
    deliveries = Delivery.objects.filter(channel="x").order_by("notice_id")
    assert [(d.state, d.reference, d.attempts) for d in deliveries] == [
        (DeliveryState.SENT, "1001", 1),
        (DeliveryState.SENT, "1002", 1),
        (DeliveryState.SENT, "1003", 1),
    ]


def test_x_answering_503_then_201_gives_one_post_sent_after_a_retry(
    x_api, eager_celery, django_capture_on_commit_callbacks
):
    x_api.post(TWEETS, status=503, json={"title": "Service Unavailable"})
    created(x_api, "2001")

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    assert [call.response.status_code for call in x_api.calls] == [503, 201]
    assert sent_json(x_api.calls[0]) == sent_json(x_api.calls[1])
    delivery = x_delivery(Notice.objects.get(incident=incident))
    assert (delivery.state, delivery.reference, delivery.attempts) == ("sent", "2001", 2)
    assert delivery.last_error == ""


def test_a_refused_login_fails_for_good_and_is_never_retried(
    x_api, eager_celery, django_capture_on_commit_callbacks
):
    x_api.post(TWEETS, status=401, json={"title": "Unauthorized", "detail": "Unauthorized"})

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
    tasks.sweep()

    delivery = x_delivery(Notice.objects.get(incident=incident))
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "X refused the post: 401 Unauthorized" in delivery.last_error
    assert len(x_api.calls) == 1


def test_a_rate_limit_waits_until_the_reset_time_x_gives(x_api):
    reset = int(time.time()) + 600
    x_api.post(
        TWEETS,
        status=429,
        json={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset)},
    )
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([x_delivery(notice).pk])

    delivery = x_delivery(notice)
    assert delivery.state == DeliveryState.RETRYING
    assert result.retry_in == pytest.approx(600, abs=5)
    expected = timezone.now() + timedelta(seconds=600)
    assert abs((delivery.next_attempt_at - expected).total_seconds()) < 5
    assert "rate limit" in delivery.last_error


def test_a_timeout_is_retried_later(x_api):
    x_api.post(TWEETS, body=requests.exceptions.ReadTimeout("read timed out"))
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([x_delivery(notice).pk])

    assert x_delivery(notice).state == DeliveryState.RETRYING
    assert "Cannot reach X" in x_delivery(notice).last_error
    assert result.retry_in is not None


def test_without_keys_the_channel_is_off_says_why_and_a_publish_records_nothing_for_it(
    settings, x_api, eager_celery, django_capture_on_commit_callbacks
):
    settings.X_ACCESS_TOKEN = settings.X_ACCESS_TOKEN_SECRET = ""
    channel = channel_named("x")

    assert not channel.is_configured()
    assert channel.why_off() == "Set X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET in the environment."
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    notice = Notice.objects.get(incident=incident)
    assert "x" not in notice.channels
    assert not Delivery.objects.filter(channel="x").exists()
    assert len(x_api.calls) == 0  # no request at all


def test_a_later_post_waits_for_an_earlier_one_of_its_thread(x_api):
    created(x_api, "3001")
    created(x_api, "3002")
    incident = open_ddos()  # not dispatched yet: its post is pending
    update = actions.post_incident_update(
        incident, status=IncidentStatus.MONITORING, body="A fix is in place."
    )
    first = x_delivery(
        Notice.objects.get(incident_update__incident=incident, kind="incident.opened")
    )
    second = x_delivery(Notice.objects.get(incident_update=update))

    waiting = dispatch.run([second.pk])
    assert waiting.retry_in is not None and waiting.retry_in >= 5
    second.refresh_from_db()
    assert second.state == DeliveryState.RETRYING
    assert second.last_error == "Waiting for the previous post in the thread."
    assert len(x_api.calls) == 0

    dispatch.run([first.pk])
    Delivery.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    dispatch.run([second.pk])

    assert [sent_json(call).get("reply") for call in x_api.calls] == [
        None,
        {"in_reply_to_tweet_id": "3001"},
    ]


def test_a_post_that_failed_for_good_is_skipped_in_the_thread(x_api):
    created(x_api, "4001")
    x_api.post(TWEETS, status=403, json={"detail": "You are not allowed to create a Tweet."})
    created(x_api, "4003")
    incident = open_ddos()
    notices = [Notice.objects.get(incident=incident)]
    for body in ("Still filtering.", "Mail flows again."):
        update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=body)
        notices.append(Notice.objects.get(incident_update=update))

    for notice in notices:
        dispatch.run([x_delivery(notice).pk])

    assert [x_delivery(n).state for n in notices] == ["sent", "failed", "sent"]
    assert sent_json(x_api.calls[2])["reply"] == {"in_reply_to_tweet_id": "4001"}


def test_a_failing_x_never_holds_back_the_other_channels_of_the_notice(
    settings, x_api, eager_celery, django_capture_on_commit_callbacks
):
    settings.MASTODON_API_BASE_URL = MASTODON
    settings.MASTODON_ACCESS_TOKEN = "mastodon-token"
    x_api.post(TWEETS, status=401, json={"title": "Unauthorized"})
    x_api.post(f"{MASTODON}/api/v1/statuses", json={"id": "110", "content": "..."})

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    notice = Notice.objects.get(incident=incident)
    # Every configured channel that fits an opening (the readers' ones among them).
    assert sorted(notice.channels) == sorted(c.name for c in default_channels(notice))
    assert {"email", "mastodon", "x", "webhook", "push"} <= set(notice.channels)
    states = dict(notice.deliveries.values_list("channel", "state"))
    assert states == {"x": DeliveryState.FAILED, "mastodon": DeliveryState.SENT}


def test_the_preview_is_the_text_that_will_be_posted():
    notice = Notice.objects.get(incident=open_ddos())

    preview = channel_named("x").preview(notice)

    assert preview.startswith("Email services down because of DDoS: investigating (00:15 CET)")
    assert x_length(preview) <= 280
    assert [c.name for c in default_channels(notice)][:2] == ["email", "x"]


# A second account in Norwegian (X_NB_*), beside the default one in the site's language

NB_TITLE = "E-posttjenestene er nede på grunn av DDoS"


@pytest.fixture
def norwegian_account(settings):
    settings.X_NB_API_KEY = "nb-consumer-key"
    settings.X_NB_API_SECRET = "nb-consumer-secret"
    settings.X_NB_ACCESS_TOKEN = "nb-access-token"
    settings.X_NB_ACCESS_TOKEN_SECRET = "nb-access-secret"
    return settings


def oauth_token(request) -> str:
    """The access token a request is signed with: which account posts."""
    return re.search(r'oauth_token="([^"]+)"', request.headers["Authorization"])[1]


def created_per_account(mock: responses.RequestsMock, ids: dict[str, list[str]]) -> None:
    """Each account (told by its access token) gets the next of its own post ids."""

    def answer(request):
        post_id = ids[oauth_token(request)].pop(0)
        return 201, {}, json.dumps({"data": {"id": post_id, "text": "..."}})

    mock.add_callback(responses.POST, TWEETS, callback=answer, content_type="application/json")


def test_the_norwegian_account_posts_norwegian_with_its_own_keys_in_its_own_thread(
    norwegian_account, x_api, eager_celery, django_capture_on_commit_callbacks
):
    created_per_account(
        x_api, {"access-token": ["1001", "1002"], "nb-access-token": ["9001", "9002"]}
    )

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
        actions.translate(incident, "nb", {"title": NB_TITLE})
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_incident(
            incident, body="Mail flows again.", posted_at=oslo(2013, 1, 25, 3, 0)
        )

    norwegian = [call for call in x_api.calls if oauth_token(call.request) == "nb-access-token"]
    english = [call for call in x_api.calls if oauth_token(call.request) == "access-token"]
    assert (len(english), len(norwegian), len(x_api.calls)) == (2, 2, 4)
    for call in norwegian:
        assert 'oauth_consumer_key="nb-consumer-key"' in call.request.headers["Authorization"]
        assert call.request.req_kwargs["timeout"] == 10
    link = f"http://127.0.0.1:8000/nb/incidents/{incident.pk}/"
    assert sent_json(norwegian[0]) == {
        "text": f"{NB_TITLE}: undersøker (00:15 CET)\n"
        "Our email services are inaccessible and we are working to find out where.\n" + link
    }
    assert sent_json(norwegian[1]) == {
        "reply": {"in_reply_to_tweet_id": "9001"},
        "text": f"{NB_TITLE}: løst (03:00 CET)\nMail flows again.\n{link}",
    }
    # The default account is as it was: English, its own keys, replying to its own post.
    assert_signed_with_oauth1(english[0])
    assert sent_json(english[0])["text"].startswith(
        "Email services down because of DDoS: investigating (00:15 CET)\n"
    )
    assert sent_json(english[1])["reply"] == {"in_reply_to_tweet_id": "1001"}
    assert "/nb/" not in sent_json(english[1])["text"]
    assert list(
        Delivery.objects.filter(channel="x_nb").order_by("notice_id").values_list("reference")
    ) == [("9001",), ("9002",)]


def test_the_norwegian_account_is_off_until_its_keys_are_set(
    x_api, eager_celery, django_capture_on_commit_callbacks
):
    created(x_api, "1001")
    channel = channel_named("x_nb")

    assert channel.label == "X (Twitter) in Norwegian Bokmal"
    assert channel.why_off() == (
        "Set X_NB_API_KEY, X_NB_API_SECRET, X_NB_ACCESS_TOKEN, X_NB_ACCESS_TOKEN_SECRET "
        "in the environment."
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    notice = Notice.objects.get(incident=incident)
    assert "x" in notice.channels and "x_nb" not in notice.channels
    assert [oauth_token(call.request) for call in x_api.calls] == ["access-token"]


def test_the_norwegian_preview_is_norwegian_and_fits_by_x_count(norwegian_account):
    incident = open_ddos()
    body = "Angriperne har endret taktikk igjen; vi filtrerer trafikken på nytt. " * 10
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="x")
    actions.translate(update, "nb", {"body": body})

    preview = channel_named("x_nb").preview(Notice.objects.get(incident_update=update))

    assert preview.startswith("Email services down because of DDoS: årsaken er funnet (")
    assert preview.endswith(f"…\nhttp://127.0.0.1:8000/nb/incidents/{incident.pk}/")
    assert 270 < x_length(preview) <= 280
