"""Notices reach Matrix rooms: a fake homeserver on loopback gets the exact requests."""

from __future__ import annotations

import json

import pytest

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch, tasks
from notifier.channels.matrix import CONTENT_BYTES
from notifier.models import Delivery, DeliveryState, Notice
from notifier.registry import channel_named
from tests.factories import make_component, oslo, schedule_maintenance, utc
from tests.notifier.loopback import HANG
from tests.notifier.matrix_homeserver import LOSE_ANSWER, TOKEN, Homeserver, homeserver

pytestmark = [pytest.mark.django_db]
__all__ = ["homeserver"]  # the fixture, used by name

OPS = "!ops:example.org"
STATUS = "!kdfjXzQ8:example.org"
FORBIDDEN = (403, {"errcode": "M_FORBIDDEN", "error": "User @status:example.org not in room"})


@pytest.fixture(autouse=True)
def matrix_rooms(settings, homeserver: Homeserver):
    settings.MATRIX_HOMESERVER_URL = homeserver.url
    settings.MATRIX_ACCESS_TOKEN = TOKEN
    settings.MATRIX_ROOM_IDS = [OPS, STATUS]
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    return settings


def open_ddos() -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we are working to find out *where*.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def delivery_of(notice: Notice, room: str) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="matrix", target=room)


def first_notice(incident: Incident) -> Notice:
    return Notice.objects.filter(incident=incident).earliest("id")


def send_path(room_quoted: str, delivery: Delivery) -> str:
    txn = f"statuspage-{delivery.pk}-{delivery.created_at.timestamp():.0f}"
    return f"/_matrix/client/v3/rooms/{room_quoted}/send/m.room.message/{txn}"


def test_an_incident_is_one_thread_in_each_room(
    homeserver, eager_celery, django_capture_on_commit_callbacks
):
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

    notices = list(Notice.objects.filter(incident=incident).order_by("id"))
    quoted = {OPS: "%21ops%3Aexample.org", STATUS: "%21kdfjXzQ8%3Aexample.org"}
    expected_paths = [
        send_path(quoted[room], delivery_of(notice, room))
        for notice in notices
        for room in (OPS, STATUS)
    ]
    assert [(r.method, r.path) for r in homeserver.received] == [
        ("PUT", path) for path in expected_paths
    ]
    for request in homeserver.received:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == "Runbox Status (http://127.0.0.1:8000)"
    link = f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    assert homeserver.received[0].json == {
        "msgtype": "m.text",
        "body": "Email services down because of DDoS: investigating (Fri 25 Jan 2013, 00:15 CET)"
        "\n\nOur email services are inaccessible and we are working to find out where."
        f"\n\nAffects: IMAP\n{link}",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p><strong>Email services down because of DDoS: investigating "
        "(Fri 25 Jan 2013, 00:15 CET)</strong></p>\n"
        "<p>Our email services are inaccessible and we are working to find out "
        "<em>where</em>.</p>\n"
        f'<p>Affects: IMAP</p>\n<p><a href="{link}">{link}</a></p>',
    }
    # Each room's thread hangs off that room's first message and replies to its newest one.
    ops_events = [event.event_id for event in homeserver.in_room(OPS)]
    status_events = [event.event_id for event in homeserver.in_room(STATUS)]
    second_in_ops = homeserver.received[2].json
    assert second_in_ops["body"].startswith(
        "Email services down because of DDoS: identified (Fri 25 Jan 2013, 01:45 CET)\n\n"
        "The attackers changed tactics; we are filtering."
    )
    assert second_in_ops["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": ops_events[0],
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": ops_events[0]},
    }
    assert homeserver.received[3].json["m.relates_to"]["event_id"] == status_events[0]
    third_in_status = homeserver.received[5].json["m.relates_to"]
    assert third_in_status == {
        "rel_type": "m.thread",
        "event_id": status_events[0],
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": status_events[1]},
    }
    assert "m.relates_to" not in homeserver.received[1].json
    assert [
        (d.target, d.state, d.reference)
        for d in Delivery.objects.filter(channel="matrix").order_by("id")
    ] == [
        (room, "sent", event)
        for pair in zip(ops_events, status_events, strict=True)
        for room, event in zip((OPS, STATUS), pair, strict=True)
    ]


def test_maintenance_is_a_thread_too_and_says_its_window_in_the_site_zone(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    work = schedule_maintenance(
        start=utc(2040, 1, 12, 5, 30), end=utc(2040, 1, 12, 7, 30), at=utc(2040, 1, 1)
    )
    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=utc(2040, 1, 2))

    for notice in Notice.objects.filter(maintenance=work).order_by("id"):
        dispatch.run([delivery_of(notice, OPS).pk])

    first, second = (request.json for request in homeserver.received)
    window = "Window: Thu 12 Jan 2040, 06:30–08:30 CET / 05:30–07:30 UTC / 00:30–02:30 EST"
    assert f"\n\n{window} / 21:30–23:30 PST Wed 11 Jan\nhttp://" in first["body"]
    assert f"<p>{window} / 21:30–23:30 PST Wed 11 Jan</p>" in first["formatted_body"]
    assert "m.relates_to" not in first
    assert second["m.relates_to"]["event_id"] == homeserver.in_room(OPS)[0].event_id


def test_a_later_update_waits_for_the_first_message_of_its_thread(homeserver):
    incident = open_ddos()
    update = actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Filtering."
    )
    first = delivery_of(first_notice(incident), OPS)
    later = delivery_of(Notice.objects.get(incident_update=update), OPS)

    result = dispatch.run([later.pk])

    assert result.retry_in is not None
    later.refresh_from_db()
    assert (later.state, later.last_error) == (
        DeliveryState.RETRYING,
        "Waiting for the previous post in the thread.",
    )
    assert homeserver.received == []
    dispatch.run([first.pk])
    Delivery.objects.filter(pk=later.pk).update(state=DeliveryState.PENDING)
    dispatch.run([later.pk])
    relation = homeserver.received[-1].json["m.relates_to"]
    assert relation["event_id"] == relation["m.in_reply_to"]["event_id"] == "$event1"


def test_a_lost_answer_is_retried_with_the_same_transaction_and_the_room_gets_one_message(
    homeserver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.MATRIX_ROOM_IDS = [OPS]
    homeserver.answers[OPS] = [LOSE_ANSWER]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = delivery_of(Notice.objects.get(incident=incident), OPS)
    first, retry = homeserver.received
    assert first.path == retry.path == send_path("%21ops%3Aexample.org", delivery)
    assert first.body == retry.body
    assert [event.event_id for event in homeserver.timeline] == ["$event1"]
    assert (delivery.state, delivery.reference, delivery.attempts) == ("sent", "$event1", 2)


def test_a_rate_limit_waits_as_long_as_the_homeserver_says_then_sends_once(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    limited = {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 42000}
    homeserver.answers[OPS] = [(429, limited)]
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice, OPS).pk])

    delivery = delivery_of(notice, OPS)
    assert delivery.state == DeliveryState.RETRYING
    assert result.retry_in == pytest.approx(42, abs=0.5)
    assert "Matrix rate limit (429 M_LIMIT_EXCEEDED: Too many requests)" in delivery.last_error
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(homeserver.timeline) == 1
    assert homeserver.received[0].path == homeserver.received[1].path


def test_a_failing_homeserver_is_tried_again_and_sends_once(
    homeserver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.MATRIX_ROOM_IDS = [OPS]
    homeserver.answers[OPS] = [(502, {"errcode": "M_UNKNOWN", "error": "Bad gateway"})]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = delivery_of(Notice.objects.get(incident=incident), OPS)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    path = send_path("%21ops%3Aexample.org", delivery)
    assert [r.path for r in homeserver.received] == [path, path]
    assert len(homeserver.timeline) == 1


def test_a_homeserver_that_does_not_answer_in_time_is_tried_again_later(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    settings.OUTBOUND_HTTP_TIMEOUT = 0.3
    homeserver.answers[OPS] = [HANG]
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice, OPS).pk])
    homeserver.release.set()

    delivery = delivery_of(notice, OPS)
    assert result.retry_in is not None
    assert delivery.state == DeliveryState.RETRYING
    assert (
        delivery.last_error.startswith("Cannot reach Matrix: ")
        and "timed out" in delivery.last_error
    )


def test_only_the_start_of_a_huge_answer_is_read_and_kept(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    homeserver.answers[OPS] = [(502, {"errcode": "M_UNKNOWN", "error": "x" * 1_000_000})]
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([delivery_of(notice, OPS).pk])

    delivery = delivery_of(notice, OPS)
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.last_error.startswith('The Matrix homeserver is failing (502: {"errcode"')
    assert len(delivery.last_error) < 300


def test_a_room_that_refuses_fails_for_good_and_the_other_room_still_gets_it(
    homeserver, eager_celery, django_capture_on_commit_callbacks
):
    homeserver.answers[OPS] = [FORBIDDEN]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
    tasks.sweep()

    notice = Notice.objects.get(incident=incident)
    refused, other = delivery_of(notice, OPS), delivery_of(notice, STATUS)
    assert (refused.state, refused.attempts) == (DeliveryState.FAILED, 1)
    assert refused.last_error == (
        "Matrix refused to post in !ops:example.org (403 M_FORBIDDEN: User @status:example.org "
        "not in room): the account must have joined the room and be allowed to send messages "
        "in it."
    )
    assert other.state == DeliveryState.SENT
    assert len([r for r in homeserver.received if "%21ops" in r.path]) == 1


def test_a_token_the_homeserver_no_longer_knows_fails_for_good(
    homeserver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.MATRIX_ACCESS_TOKEN = "syt_revoked"
    settings.MATRIX_ROOM_IDS = [OPS]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = delivery_of(Notice.objects.get(incident=incident), OPS)
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "(401 M_UNKNOWN_TOKEN: Invalid access token)" in delivery.last_error
    assert "log the account in again" in delivery.last_error
    assert homeserver.received[0].headers["Authorization"] == "Bearer syt_revoked"


def test_an_update_too_long_for_one_event_is_cut_and_nothing_unsafe_is_sent(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    body = "<script>alert(1)</script> [site](javascript:alert(1)) " + "Filtering ✓ " * 20_000
    incident = open_ddos()
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=body)
    dispatch.run([delivery_of(first_notice(incident), OPS).pk])

    dispatch.run([delivery_of(Notice.objects.get(incident_update=update), OPS).pk])

    sent = homeserver.received[-1]
    content = sent.json
    # As much of the update as fits: the thread relation comes on top of the bound.
    assert CONTENT_BYTES * 0.8 < len(sent.body) <= CONTENT_BYTES + 400
    assert "Filtering ✓ Filtering" in content["body"]
    assert content["body"].endswith(
        f"…\n\nAffects: IMAP\nhttp://127.0.0.1:8000/incidents/{incident.pk}/"
    )
    assert "<script" not in content["formatted_body"]
    assert "javascript:" not in content["formatted_body"]
    assert content["m.relates_to"]["event_id"] == "$event1"


def test_the_formatted_body_keeps_only_the_html_matrix_allows(homeserver, settings):
    settings.MATRIX_ROOM_IDS = [OPS]
    settings.EXTRA_TIME_ZONES = []
    incident = open_ddos()
    update = actions.post_incident_update(
        incident,
        status=IncidentStatus.MONITORING,
        body="Back {{time 2013-01-25 02:30 CET}}.\n\n<img src=x onerror=alert(1)> **Watching**.",
    )
    notice = Notice.objects.get(incident_update=update)

    formatted = json.loads(json.dumps(channel_named("matrix").preview(notice)))
    dispatch.run([delivery_of(first_notice(incident), OPS).pk])
    dispatch.run([delivery_of(notice, OPS).pk])

    html = homeserver.received[-1].json["formatted_body"]
    assert "<p>Back 02:30 CET.</p>" in html  # the <time> element is not Matrix's: its text stays
    assert "<strong>Watching</strong>" in html
    assert "<img" not in html and "onerror" not in html
    assert formatted.startswith("Email services down because of DDoS: monitoring (")


def test_without_settings_the_channel_is_off_and_the_publish_goes_on(
    homeserver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.MATRIX_ACCESS_TOKEN = ""
    settings.MATRIX_ROOM_IDS = []

    assert channel_named("matrix").why_off() == (
        "Set MATRIX_ACCESS_TOKEN, MATRIX_ROOM_IDS in the environment."
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    assert "matrix" not in Notice.objects.get(incident=incident).channels
    assert not Delivery.objects.filter(channel="matrix").exists()
    assert homeserver.received == []
