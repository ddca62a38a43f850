"""A missed promise alerts staff once: mail to a real SMTP server, a POST to a real listener."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

import actions
from console.alerts import alert_overdue_updates
from console.roles import Role, assign_role
from incidents.models import IncidentUpdate
from tests.factories import open_incident, oslo
from tests.notifier.loopback import FakeHandler, serving
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.django_db

PROMISED = oslo(2013, 1, 25, 1, 15)
NOW = oslo(2013, 1, 25, 1, 32)  # 17 minutes late


@dataclass
class Listener:
    url: str = ""
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # then 204


@pytest.fixture
def listener() -> Iterator[Listener]:
    state = Listener()

    class Handler(FakeHandler):
        def do_POST(self) -> None:
            state.requests.append((self.path, dict(self.headers), self.body()))
            self.reply(state.answers.pop(0) if state.answers else 204)

    with serving(Handler) as port:
        state.url = f"http://127.0.0.1:{port}/alerts/on-call"
        yield state


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.STAFF_ALERT_WEBHOOK_URL = ""
        yield server


def account(name: str, email: str, role: Role | None, *, active: bool = True) -> None:
    # No password: hashing one costs a second per account, and nobody signs in here.
    user = get_user_model().objects.create_user(name, email, is_active=active)
    if role is not None:
        assign_role(user, role)


@pytest.fixture
def staff(db) -> None:
    account("erika", "erika@runbox.example", Role.EDITOR)
    account("adam", "adam@runbox.example", Role.ADMIN)
    account("gone", "gone@runbox.example", Role.EDITOR, active=False)
    account("nomail", "", Role.EDITOR)  # no address: nobody to mail
    account("reader", "reader@example.com", None)  # not staff


def late_incident(title: str = "Email services down"):
    incident = open_incident(title, at=oslo(2013, 1, 25, 0, 45))
    IncidentUpdate.objects.filter(incident=incident).update(next_update_by=PROMISED)
    return incident


def test_each_active_staff_member_with_an_address_gets_one_mail_once(smtp, staff):
    incident = late_incident()

    assert alert_overdue_updates(NOW) == 1
    assert alert_overdue_updates(NOW) == 0  # the next tick: already told
    assert alert_overdue_updates(oslo(2013, 1, 25, 3, 0)) == 0

    assert sorted(m.rcpt_tos for m in smtp.messages) == [
        ("adam@runbox.example",),
        ("erika@runbox.example",),
    ]
    mail = smtp.messages[0].message
    assert mail["Subject"] == "[Runbox Status] Update overdue by 17 min: Email services down"
    text = mail.get_content()
    assert "was promised by 01:15 CET (Fri 25 Jan 2013, 01:15 CET) and is 17 min late" in text
    assert f"http://127.0.0.1:8000/staff/incidents/{incident.pk}/" in text


def test_a_promise_not_yet_due_and_a_resolved_incident_alert_nobody(smtp, staff):
    late_incident()
    resolved = late_incident("IMAP was slow")
    actions.resolve_incident(resolved, body="Fixed.", posted_at=oslo(2013, 1, 25, 1, 0))
    IncidentUpdate.objects.filter(incident=resolved).update(next_update_by=PROMISED)

    assert alert_overdue_updates(oslo(2013, 1, 25, 1, 14)) == 0
    assert smtp.messages == []
    assert alert_overdue_updates(NOW) == 1  # the open one only
    assert {m.message["Subject"].split(": ")[-1] for m in smtp.messages} == {"Email services down"}


def test_a_new_promise_missed_again_alerts_again(smtp, staff):
    incident = late_incident()
    alert_overdue_updates(NOW)
    actions.post_incident_update(
        incident, status="identified", body="Found it.", posted_at=oslo(2013, 1, 25, 1, 35)
    )
    IncidentUpdate.objects.filter(incident=incident, body="Found it.").update(
        next_update_by=oslo(2013, 1, 25, 2, 5)
    )

    assert alert_overdue_updates(oslo(2013, 1, 25, 2, 0)) == 0
    assert alert_overdue_updates(oslo(2013, 1, 25, 2, 10)) == 1
    assert len(smtp.messages) == 4  # two staff, two promises


def test_the_webhook_gets_one_json_post_with_the_exact_body(smtp, staff, listener, settings):
    settings.STAFF_ALERT_WEBHOOK_URL = listener.url
    incident = late_incident()

    assert alert_overdue_updates(NOW) == 2
    assert alert_overdue_updates(NOW) == 0

    [(path, headers, body)] = listener.requests
    assert path == "/alerts/on-call"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Runbox Status staff alerts (http://127.0.0.1:8000)"
    assert json.loads(body) == {
        "event": "incident.update_overdue",
        "incident": {
            "id": f"i{incident.pk}",
            "name": "Email services down",
            "status": "investigating",
            "impact": "minor",
            "url": f"http://127.0.0.1:8000/incidents/{incident.pk}/",
            "console_url": f"http://127.0.0.1:8000/staff/incidents/{incident.pk}/",
        },
        "next_update_by": "2013-01-25T00:15:00Z",
        "overdue_minutes": 17,
        "text": "Email services down: the update promised by 01:15 CET is 17 min late.",
    }


def test_a_refused_webhook_is_logged_and_retried_next_tick_without_mailing_twice(
    smtp, staff, listener, settings, caplog
):
    settings.STAFF_ALERT_WEBHOOK_URL = listener.url
    listener.answers = [500]
    late_incident()

    with caplog.at_level(logging.ERROR, logger="console.alerts"):
        assert alert_overdue_updates(NOW) == 1  # the mail; the POST failed
    assert "answered 500" in caplog.text
    assert alert_overdue_updates(NOW) == 1  # the POST, again
    assert alert_overdue_updates(NOW) == 0

    assert len(listener.requests) == 2
    assert len(smtp.messages) == 2  # one per staff member, not one per tick


def test_a_mail_server_that_is_down_is_retried_next_tick_and_never_raises(smtp, staff):
    late_incident()
    smtp.stop()

    assert alert_overdue_updates(NOW) == 0
    assert IncidentUpdate.objects.get().overdue_mailed_at is None
    smtp.start()
    assert alert_overdue_updates(NOW) == 1
    assert len(smtp.messages) == 2


def test_alerts_can_be_turned_off(smtp, staff, settings):
    settings.NEXT_UPDATE_ALERTS = False
    late_incident()

    assert alert_overdue_updates(NOW) == 0
    assert smtp.messages == []


def test_beat_runs_the_alert_task_on_its_tick():
    from statuspage.celery import app

    app.loader.import_default_modules()
    app.finalize()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert "console.alert_overdue_updates" in scheduled
    assert "console.alert_overdue_updates" in app.tasks
