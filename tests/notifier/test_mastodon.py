"""Notices reach Mastodon through Mastodon.py, faked at the HTTP layer with the exact requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

import pytest
import requests
import responses

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch, tasks
from notifier.channels.mastodon import MastodonChannel
from notifier.channels.x import XChannel
from notifier.models import Delivery, DeliveryState, Notice
from notifier.registry import CLASSES, all_channels, channel_named
from tests.factories import make_component, oslo, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db]

BASE = "https://mastodon.example"
STATUSES = f"{BASE}/api/v1/statuses"


@pytest.fixture(autouse=True)
def mastodon_account(settings):
    settings.MASTODON_API_BASE_URL = BASE
    settings.MASTODON_ACCESS_TOKEN = "app-token"
    settings.MASTODON_VISIBILITY = "public"
    settings.X_API_KEY = ""
    return settings


@pytest.fixture
def instance() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def posted(mock: responses.RequestsMock, status_id: str) -> None:
    mock.post(STATUSES, json={"id": status_id, "content": "<p>...</p>"})


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def open_ddos() -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we are working to find out where.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def delivery_of(notice: Notice) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="mastodon")


def test_an_incident_becomes_a_thread_of_three_statuses_and_nothing_else_is_asked(
    instance, eager_celery, django_capture_on_commit_callbacks
):
    for status_id in ("111", "112", "113"):
        posted(instance, status_id)

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

    # Only the three posts: no /api/v1/instance, no version check, nothing else.
    assert [(c.request.method, c.request.url) for c in instance.calls] == [("POST", STATUSES)] * 3
    deliveries = list(Delivery.objects.filter(channel="mastodon").order_by("notice_id"))
    for call, delivery in zip(instance.calls, deliveries, strict=True):
        headers = call.request.headers
        assert headers["Authorization"] == "Bearer app-token"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert headers["User-Agent"] == "Runbox Status (http://127.0.0.1:8000)"
        assert headers["Idempotency-Key"].startswith(f"statuspage-{delivery.pk}-")
        assert call.request.req_kwargs["timeout"] == 10
    link = f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    first_text = (
        "Email services down because of DDoS: investigating (00:15 CET)\n"
        "Our email services are inaccessible and we are working to find out where.\n" + link
    )
    assert instance.calls[0].request.body == urlencode(
        {"status": first_text, "sensitive": "0", "visibility": "public"}
    )
    assert form(instance.calls[1]) == {
        "status": "Email services down because of DDoS: identified (01:45 CET)\n"
        "The attackers changed tactics; we are filtering.\n" + link,
        "in_reply_to_id": "111",
        "sensitive": "0",
        "visibility": "public",
    }
    assert form(instance.calls[2])["in_reply_to_id"] == "112"
    assert form(instance.calls[2])["status"].startswith(
        "Email services down because of DDoS: resolved (03:00 CET)\nMail flows again.\n"
    )
    assert [(d.state, d.reference) for d in deliveries] == [
        ("sent", "111"),
        ("sent", "112"),
        ("sent", "113"),
    ]


def test_maintenance_notices_thread_too_with_the_visibility_chosen(settings, instance):
    settings.MASTODON_VISIBILITY = "unlisted"
    posted(instance, "201")
    posted(instance, "202")
    work = schedule_maintenance(
        start=utc(2040, 1, 12, 5, 30), end=utc(2040, 1, 12, 7, 30), at=utc(2040, 1, 1)
    )
    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=utc(2040, 1, 2))

    for notice in Notice.objects.filter(maintenance=work).order_by("id"):
        dispatch.run([delivery_of(notice).pk])

    assert [form(c)["visibility"] for c in instance.calls] == ["unlisted", "unlisted"]
    assert "in_reply_to_id" not in form(instance.calls[0])
    assert form(instance.calls[1])["in_reply_to_id"] == "201"


def test_a_server_error_then_success_posts_once(
    instance, eager_celery, django_capture_on_commit_callbacks
):
    instance.post(STATUSES, status=503, json={"error": "Service unavailable"})
    posted(instance, "301")

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = delivery_of(Notice.objects.get(incident=incident))
    assert [c.response.status_code for c in instance.calls] == [503, 200]
    # The retry carries the same key: had the first answer been lost, Mastodon would not repost.
    keys = {c.request.headers["Idempotency-Key"] for c in instance.calls}
    assert len(keys) == 1
    assert (delivery.state, delivery.reference, delivery.attempts) == ("sent", "301", 2)


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, "The access token is invalid", "Mastodon refused the post"),
        (404, "Record not found", "Mastodon refused the post"),
        (422, "Validation failed: Text is too long", "Mastodon answered"),
    ],
)
def test_refusals_fail_for_good_and_are_never_retried(
    instance, eager_celery, django_capture_on_commit_callbacks, status, error, words
):
    instance.post(STATUSES, status=status, json={"error": error})

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
    tasks.sweep()

    delivery = delivery_of(Notice.objects.get(incident=incident))
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert words in delivery.last_error and error in delivery.last_error
    assert len(instance.calls) == 1


def test_a_rate_limit_waits_until_the_reset_time_mastodon_gives(instance):
    reset = datetime.now(UTC) + timedelta(minutes=5)
    instance.post(
        STATUSES,
        status=429,
        json={"error": "Too many requests"},
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
    )
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice).pk])

    delivery = delivery_of(notice)
    assert delivery.state == DeliveryState.RETRYING
    assert result.retry_in == pytest.approx(300, abs=5)
    assert abs((delivery.next_attempt_at - reset).total_seconds()) < 5
    assert len(instance.calls) == 1  # Mastodon.py did not sleep and try again by itself


def test_a_timeout_is_retried_later(instance):
    instance.post(STATUSES, body=requests.exceptions.ConnectTimeout("connect timed out"))
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice).pk])

    assert delivery_of(notice).state == DeliveryState.RETRYING
    assert "Cannot reach Mastodon" in delivery_of(notice).last_error
    assert result.retry_in is not None


def test_without_settings_the_channel_is_off_and_the_publish_goes_on(
    settings, instance, eager_celery, django_capture_on_commit_callbacks
):
    settings.MASTODON_ACCESS_TOKEN = ""

    assert channel_named("mastodon").why_off() == "Set MASTODON_ACCESS_TOKEN in the environment."
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    assert "mastodon" not in Notice.objects.get(incident=incident).channels
    assert not Delivery.objects.filter(channel="mastodon").exists()
    assert len(instance.calls) == 0


def test_a_long_notice_fits_in_500_characters():
    body = "The attackers changed tactics again. " * 40
    incident = open_ddos()
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=body)

    text = channel_named("mastodon").preview(Notice.objects.get(incident_update=update))

    assert len(text) > 400
    assert len(text.replace(f"http://127.0.0.1:8000/incidents/{incident.pk}/", "x" * 23)) <= 500
    assert text.endswith(f"\nhttp://127.0.0.1:8000/incidents/{incident.pk}/")


# A second account in Norwegian (MASTODON_NB_*), beside the default one in the site's language

NB_BASE = "https://mastodon.example.no"
NB_STATUSES = f"{NB_BASE}/api/v1/statuses"
NB_TITLE = "E-posttjenestene er nede på grunn av DDoS"
NB_BODY = "E-posttjenestene våre er utilgjengelige, og vi leter etter årsaken."


@pytest.fixture
def norwegian_account(settings):
    settings.MASTODON_NB_API_BASE_URL = NB_BASE
    settings.MASTODON_NB_ACCESS_TOKEN = "nb-token"
    return settings


def test_the_norwegian_account_posts_norwegian_to_its_own_instance_in_its_own_thread(
    norwegian_account, instance, eager_celery, django_capture_on_commit_callbacks
):
    posted(instance, "111")
    posted(instance, "112")
    instance.post(NB_STATUSES, json={"id": "911", "content": "<p>...</p>"})
    instance.post(NB_STATUSES, json={"id": "912", "content": "<p>...</p>"})

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
        # Before the workers send it, as a translator racing the publish would.
        actions.translate(incident, "nb", {"title": NB_TITLE})
        actions.translate(incident.updates.get(), "nb", {"body": NB_BODY})
    with django_capture_on_commit_callbacks(execute=True):
        actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body="The attackers changed tactics; we are filtering.",  # not translated
            posted_at=oslo(2013, 1, 25, 1, 45),
        )

    english = [call for call in instance.calls if call.request.url == STATUSES]
    norwegian = [call for call in instance.calls if call.request.url == NB_STATUSES]
    assert (len(english), len(norwegian)) == (2, 2)
    assert {call.request.headers["Authorization"] for call in norwegian} == {"Bearer nb-token"}
    link = f"http://127.0.0.1:8000/nb/incidents/{incident.pk}/"
    assert form(norwegian[0]) == {
        "status": f"{NB_TITLE}: undersøker (00:15 CET)\n{NB_BODY}\n{link}",
        "sensitive": "0",
        "visibility": "public",
    }
    assert form(norwegian[1]) == {
        "status": f"{NB_TITLE}: årsaken er funnet (01:45 CET)\n"
        f"The attackers changed tactics; we are filtering.\n{link}",
        "in_reply_to_id": "911",
        "sensitive": "0",
        "visibility": "public",
    }
    # The default account is as it was: English, its own token, replying to its own post.
    assert {call.request.headers["Authorization"] for call in english} == {"Bearer app-token"}
    assert form(english[0])["status"].startswith(
        "Email services down because of DDoS: investigating (00:15 CET)\nOur email services"
    )
    assert form(english[1])["in_reply_to_id"] == "111"
    assert "/nb/" not in form(english[1])["status"]
    sent = Delivery.objects.filter(channel="mastodon_nb", state=DeliveryState.SENT)
    assert list(sent.order_by("notice_id").values_list("target", "reference")) == [
        ("mastodon_nb", "911"),
        ("mastodon_nb", "912"),
    ]


def test_the_norwegian_account_is_off_until_configured_and_the_default_one_goes_on(
    instance, eager_celery, django_capture_on_commit_callbacks
):
    posted(instance, "111")
    channel = channel_named("mastodon_nb")

    assert channel.label == "Mastodon in Norwegian Bokmal"
    assert channel.why_off() == (
        "Set MASTODON_NB_API_BASE_URL, MASTODON_NB_ACCESS_TOKEN in the environment."
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    notice = Notice.objects.get(incident=incident)
    assert "mastodon" in notice.channels and "mastodon_nb" not in notice.channels
    assert [call.request.url for call in instance.calls] == [STATUSES]


def test_a_site_without_norwegian_has_no_norwegian_account_whatever_its_settings(
    norwegian_account, instance, eager_celery, django_capture_on_commit_callbacks
):
    norwegian_account.LANGUAGES = [("en", "English")]
    posted(instance, "111")

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    assert "mastodon_nb" not in [channel.name for channel in all_channels()]
    assert "mastodon_nb" not in Notice.objects.get(incident=incident).channels
    assert [call.request.url for call in instance.calls] == [STATUSES]


def test_every_language_but_the_default_may_have_an_account_of_its_own_on_each_network(settings):
    for network in (MastodonChannel, XChannel):
        accounts = [cls() for cls in CLASSES.values() if issubclass(cls, network)]
        assert {account.language for account in accounts} == {"", *settings.KNOWN_LANGUAGES}
        for account in accounts:
            account.settings_needed()  # names settings.py defines, or AttributeError
    assert [c.name for c in all_channels() if isinstance(c, MastodonChannel)] == [
        "mastodon",
        "mastodon_nb",
    ]


def test_a_long_notice_fits_in_500_characters_in_norwegian_too(norwegian_account):
    body = "Angriperne har endret taktikk igjen, og vi filtrerer trafikken. " * 20
    incident = open_ddos()
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="x")
    actions.translate(update, "nb", {"body": body})

    text = channel_named("mastodon_nb").preview(Notice.objects.get(incident_update=update))

    link = f"http://127.0.0.1:8000/nb/incidents/{incident.pk}/"
    assert text.startswith("Email services down because of DDoS: årsaken er funnet (")
    assert "\nAngriperne har endret taktikk igjen" in text and text.endswith(f"…\n{link}")
    assert 450 < len(text.replace(link, "x" * 23)) <= 500
