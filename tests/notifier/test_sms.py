"""Notices reach SMS subscribers through Twilio or 46elks, faked on loopback."""

from __future__ import annotations

import pytest

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.manage import add_contact
from notifier.models import ContactPoint, Delivery, DeliveryState, Notice, NoticeKind, Subscriber
from notifier.registry import channel_named
from tests.factories import make_component, oslo
from tests.notifier.loopback import HANG
from tests.notifier.sms_provider import (
    ELKS_FROM,
    ELKS_PASSWORD,
    ELKS_USER,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    Provider,
    elks,
    provider,
    twilio,
    twilio_error,
)

pytestmark = [pytest.mark.django_db]
__all__ = ["elks", "provider", "twilio"]  # fixtures, used by name

NUMBER = "+4791234567"
TEXT = (
    "[Runbox Status] Investigating: Email services down because of DDoS - Our email services "
    "are inaccessible and we are working to find out where. (00:15 CET)\n"
    "http://127.0.0.1:8000/incidents/{pk}/\nReply STOP to unsubscribe"
)


def open_ddos() -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we are working to find out *where*.\n\n"
        "More in the next update.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def sms_delivery(incident: Incident, kind: str = NoticeKind.INCIDENT_OPENED) -> Delivery:
    return Delivery.objects.get(notice__incident=incident, notice__kind=kind, channel="sms")


def test_twilio_gets_the_exact_request_and_the_reference_counts_segments(twilio: Provider):
    point = add_contact("sms", NUMBER, component_ids=[])
    incident = open_ddos()
    delivery = sms_delivery(incident)
    assert delivery.target == str(point.pk)

    dispatch.run([delivery.pk])

    (request,) = twilio.received
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.basic_auth == (TWILIO_SID, TWILIO_TOKEN)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": [NUMBER],
        "From": [TWILIO_FROM],
        "Body": [TEXT.format(pk=incident.pk)],
    }
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reference) == (DeliveryState.SENT, "2:SM" + "0" * 31 + "1")


def test_a_messaging_service_sends_instead_of_a_from_number(twilio: Provider, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    add_contact("sms", NUMBER, component_ids=[])
    dispatch.run([sms_delivery(open_ddos()).pk])
    form = twilio.received[0].form
    assert form["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"]
    assert "From" not in form


def test_46elks_gets_the_exact_request(elks: Provider):
    add_contact("sms", NUMBER, component_ids=[])
    incident = open_ddos()

    dispatch.run([sms_delivery(incident).pk])

    (request,) = elks.received
    assert request.path == "/a1/sms"
    assert request.basic_auth == (ELKS_USER, ELKS_PASSWORD)
    assert request.form == {
        "from": [ELKS_FROM],
        "to": [NUMBER],
        "message": [TEXT.format(pk=incident.pk)],
    }
    assert sms_delivery(incident).reference == "2:s00000001"


def test_only_the_start_and_end_of_an_incident_and_a_window_starting_are_texted(
    twilio: Provider,
):
    add_contact("sms", NUMBER, component_ids=[])
    incident = open_ddos()
    actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="Filtering.")
    actions.resolve_incident(incident, body="Mail flows again.")
    notices = Notice.objects.filter(incident=incident).order_by("id")
    assert [(n.kind, "sms" in n.channels) for n in notices] == [
        (NoticeKind.INCIDENT_OPENED, True),
        (NoticeKind.INCIDENT_UPDATED, False),
        (NoticeKind.INCIDENT_RESOLVED, True),
    ]
    sms = channel_named("sms")
    assert [k for k in NoticeKind if sms.fits(Notice(kind=k))] == [
        NoticeKind.INCIDENT_OPENED,
        NoticeKind.INCIDENT_RESOLVED,
        NoticeKind.MAINTENANCE_STARTED,
    ]


def test_a_failing_provider_is_tried_again_and_one_message_arrives(twilio: Provider):
    add_contact("sms", NUMBER, component_ids=[])
    twilio.answers = [twilio_error(503, 20500, "Service unavailable")]
    delivery = sms_delivery(open_ddos())

    first = dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert first.retry_in is not None and delivery.state == DeliveryState.RETRYING
    assert delivery.last_error == "Twilio is failing (503 error 20500: Service unavailable)."
    dispatch.run([delivery.pk])

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(twilio.received) == 2
    assert len(twilio.texts_to(NUMBER)) == 1


def test_a_rate_limit_waits_as_long_as_retry_after_says(twilio: Provider, settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    add_contact("sms", NUMBER, component_ids=[])
    status, body, headers = twilio_error(429, 20429, "Too Many Requests")
    twilio.answers = [(status, body, {**headers, "Retry-After": "37"})]
    delivery = sms_delivery(open_ddos())

    result = dispatch.run([delivery.pk])

    assert result.retry_in == pytest.approx(37, abs=0.5)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.last_error == "Twilio rate limit (429 error 20429: Too Many Requests)."


def test_46elks_errors_map_to_retry_or_give_up(elks: Provider):
    add_contact("sms", NUMBER, component_ids=[])
    elks.answers = [(502, b"Bad gateway", {}), (403, b"Invalid to number", {})]
    delivery = sms_delivery(open_ddos())
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (
        DeliveryState.RETRYING,
        "46elks is failing (502: Bad gateway).",
    )
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (
        DeliveryState.FAILED,
        "46elks refused the message (403: Invalid to number).",
    )
    assert elks.delivered == []


def test_a_provider_that_does_not_answer_in_time_is_tried_again(elks: Provider, settings):
    settings.OUTBOUND_HTTP_TIMEOUT = 0.3
    add_contact("sms", NUMBER, component_ids=[])
    elks.answers = [HANG]
    delivery = sms_delivery(open_ddos())
    result = dispatch.run([delivery.pk])
    elks.release.set()
    delivery.refresh_from_db()
    assert result.retry_in is not None and delivery.state == DeliveryState.RETRYING
    assert delivery.last_error.startswith("Cannot reach 46elks: ")
    assert "timed out" in delivery.last_error


def test_a_number_that_opted_out_at_twilio_is_forgotten(twilio: Provider):
    point = add_contact("sms", NUMBER, component_ids=[])
    twilio.answers = [
        twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
    ]
    delivery = sms_delivery(open_ddos())

    dispatch.run([delivery.pk])

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert delivery.last_error == (
        "The number opted out (replied STOP); Twilio will not send to it (400 error 21610: "
        "Attempt to send to unsubscribed recipient). Its subscription is deleted."
    )
    assert not ContactPoint.objects.filter(pk=point.pk).exists()
    assert not Subscriber.objects.exists()


def test_bad_credentials_fail_for_good(twilio: Provider, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    add_contact("sms", NUMBER, component_ids=[])
    delivery = sms_delivery(open_ddos())
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error == (
        "Twilio does not accept TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
        "(401 error 20003: Authenticate)."
    )


def test_without_settings_sms_is_off_and_says_what_is_missing(settings):
    settings.SMS_PROVIDER = ""
    assert channel_named("sms").why_off() == (
        "Set SMS_PROVIDER (twilio or 46elks) in the environment."
    )
    settings.SMS_PROVIDER = "46elks"
    settings.ELKS_API_USERNAME = "u1"
    settings.ELKS_API_PASSWORD = settings.ELKS_FROM = settings.SMS_INBOUND_SECRET = ""
    assert channel_named("sms").why_off() == (
        "Set ELKS_API_PASSWORD, ELKS_FROM, SMS_INBOUND_SECRET in the environment."
    )
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = "x"
    settings.TWILIO_FROM = settings.TWILIO_MESSAGING_SERVICE_SID = ""
    assert channel_named("sms").why_off() == (
        "Set TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID) in the environment."
    )
    assert not channel_named("sms").is_configured()
    add_contact("sms", NUMBER, component_ids=[])
    assert "sms" not in Notice.objects.get(incident=open_ddos()).channels


def test_the_preview_says_the_segments_and_the_encoding(twilio: Provider):
    incident = open_ddos()
    preview = channel_named("sms").preview(Notice.objects.get(incident=incident))
    assert preview == TEXT.format(pk=incident.pk) + "\n\n(2 SMS segments, GSM-7)"


def test_a_publish_reaches_every_following_number_through_the_workers(
    twilio: Provider, eager_celery, django_capture_on_commit_callbacks
):
    imap, web = make_component("IMAP"), make_component("Webmail")
    add_contact("sms", NUMBER, component_ids=[imap.pk])
    add_contact("sms", "+4791234568", component_ids=[web.pk])
    add_contact("sms", "+4791234569", component_ids=[])

    with django_capture_on_commit_callbacks(execute=True):
        incident = actions.open_incident(
            title="IMAP down",
            body="Looking.",
            impact="major",
            component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        )

    assert sorted(to for to, _ in twilio.delivered) == [NUMBER, "+4791234569"]
    sent = Delivery.objects.filter(notice__incident=incident, channel="sms")
    assert {d.state for d in sent} == {DeliveryState.SENT}


def test_the_console_ticks_sms_by_default_only_where_it_fits(twilio: Provider, settings):
    from console.forms.fields import channel_choices

    choices, opened, _ = channel_choices(NoticeKind.INCIDENT_OPENED)
    assert ("sms", "SMS subscribers") in choices and "sms" in opened
    assert "sms" not in channel_choices(NoticeKind.INCIDENT_UPDATED)[1]
    settings.SMS_PROVIDER = ""
    off = channel_choices(NoticeKind.INCIDENT_OPENED)[2]
    assert off["sms"] == "Set SMS_PROVIDER (twilio or 46elks) in the environment."


def test_the_update_form_tells_its_script_to_tick_sms_when_staff_pick_resolved(twilio: Provider):
    import json

    from console.forms.incidents import UpdateForm

    form = UpdateForm(incident=open_ddos())
    defaults = json.loads(form.fields["channels"].defaults_json)
    assert "sms" not in defaults[""] and "sms" in defaults["resolved"]
    assert set(defaults["resolved"]) - {"sms"} == set(defaults[""])
