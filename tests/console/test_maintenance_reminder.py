"""The reminder lead in the console: set when scheduling and rescheduling, shown on the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

import actions
from console.forms.fields import site_local
from incidents import timefmt
from incidents.models import Maintenance
from tests.console.test_maintenance import act, ahead, imap, schedule_data  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, maintenance: Maintenance) -> str:
    html = client.get(reverse("console:maintenance", args=[maintenance.pk])).content.decode()
    return " ".join(html.split())


def test_the_schedule_form_offers_the_default_lead_and_keeps_the_one_given(
    signed_in,
    editor,
    imap,  # noqa: F811
):
    client = signed_in(editor)
    form = client.get(reverse("console:maintenance_new")).content.decode()
    assert 'name="remind_minutes_before" value="60"' in form

    response = client.post(
        reverse("console:maintenance_new"), schedule_data(imap, remind_minutes_before="30")
    )
    assert response.status_code == 302
    maintenance = Maintenance.objects.get()
    assert maintenance.remind_minutes_before == 30
    goes_out = timefmt.stamp(ahead(2) - timedelta(minutes=30))
    assert f"reminder goes out {goes_out} (30 minutes before)" in page(client, maintenance)


@pytest.mark.parametrize("value", ["soon", "-5", "10081", "1.5"])
def test_a_bad_lead_is_refused_with_a_clear_error_and_nothing_is_scheduled(
    signed_in,
    editor,
    imap,  # noqa: F811
    value,
):
    client = signed_in(editor)
    response = client.post(
        reverse("console:maintenance_new"), schedule_data(imap, remind_minutes_before=value)
    )
    assert response.status_code == 400
    assert "Give the reminder as whole minutes before the start (0 to 10080)" in (
        response.content.decode()
    )
    assert not Maintenance.objects.exists()


@pytest.mark.parametrize("value", ["", "0"])
def test_an_empty_or_zero_lead_means_no_reminder(signed_in, editor, imap, value):  # noqa: F811
    client = signed_in(editor)
    client.post(
        reverse("console:maintenance_new"), schedule_data(imap, remind_minutes_before=value)
    )
    maintenance = Maintenance.objects.get()
    assert maintenance.remind_minutes_before is None
    assert "· no reminder" in page(client, maintenance)


def test_a_post_without_the_field_keeps_the_lead(signed_in, editor, imap):  # noqa: F811
    client = signed_in(editor)
    client.post(reverse("console:maintenance_new"), schedule_data(imap))
    maintenance = Maintenance.objects.get()
    assert maintenance.remind_minutes_before == 60
    act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(3)),
        scheduled_end=site_local(ahead(3, 2)),
        body="A day later.",
    )
    maintenance.refresh_from_db()
    assert (maintenance.scheduled_start, maintenance.remind_minutes_before) == (ahead(3), 60)


def test_a_reschedule_sets_a_new_lead_and_the_page_says_when_it_was_sent(
    signed_in,
    editor,
    imap,  # noqa: F811
):
    client = signed_in(editor)
    client.post(reverse("console:maintenance_new"), schedule_data(imap))
    maintenance = Maintenance.objects.get()
    assert maintenance.remind_minutes_before == 60
    response = act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(3)),
        scheduled_end=site_local(ahead(3, 2)),
        remind_minutes_before="120",
        body="A day later.",
    )
    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.remind_minutes_before == 120
    assert "(120 minutes before)" in page(client, maintenance)

    actions.remind_due_maintenance(now=ahead(3, -1))
    assert "subscribers reminded of this start" in page(client, maintenance)


def test_a_bad_lead_on_reschedule_keeps_the_window_and_says_why(
    signed_in,
    editor,
    imap,  # noqa: F811
):
    client = signed_in(editor)
    client.post(reverse("console:maintenance_new"), schedule_data(imap))
    maintenance = Maintenance.objects.get()
    response = act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(3)),
        scheduled_end=site_local(ahead(3, 2)),
        remind_minutes_before="an hour",
        body="A day later.",
    )
    assert response.status_code == 400
    assert "Give the reminder as whole minutes" in response.content.decode()
    maintenance.refresh_from_db()
    assert maintenance.scheduled_start == ahead(2)
