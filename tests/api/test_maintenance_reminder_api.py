"""The staff API sets a window's reminder lead when scheduling and rescheduling."""

from __future__ import annotations

import pytest

from incidents.models import Maintenance
from tests.api.conftest import StaffApi
from tests.factories import oslo, schedule_maintenance

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Database replacement",
    "body": "We are replacing the database servers.",
    "scheduled_for": "2040-12-20T06:30:00+01:00",
    "scheduled_until": "2040-12-20T08:30:00+01:00",
}


def test_scheduling_takes_the_default_lead_or_the_one_given(api: StaffApi):
    default = api.call("POST", "/scheduled-maintenances", NEW)
    assert default.status_code == 201, default.data
    assert default.data["remind_minutes_before"] == 60
    assert default.data["reminder_at"] == "2040-12-20T05:30:00.000+01:00"
    assert default.data["reminder_sent"] is False

    off = api.call("POST", "/scheduled-maintenances", {**NEW, "remind_minutes_before": 0})
    assert (off.data["remind_minutes_before"], off.data["reminder_at"]) == (0, None)
    assert Maintenance.objects.get(pk=off.data["id"][1:]).remind_minutes_before is None


def test_rescheduling_keeps_the_lead_unless_given_a_new_one(api: StaffApi):
    work = schedule_maintenance(start=oslo(2040, 12, 12, 6, 30), end=oslo(2040, 12, 12, 8, 30))
    path = f"/scheduled-maintenances/m{work.pk}/reschedule"
    window = {"scheduled_for": "2040-12-20T05:30:00Z", "scheduled_until": "2040-12-20T07:30:00Z"}

    kept = api.call("POST", path, {**window, "body": "Moved to Thursday."})
    assert kept.status_code == 200, kept.data
    assert kept.data["remind_minutes_before"] == 60
    assert kept.data["reminder_at"] == "2040-12-20T05:30:00.000+01:00"

    changed = api.call(
        "POST",
        path,
        {**window, "body": "Same window, earlier reminder.", "remind_minutes_before": 90},
    )
    assert changed.data["reminder_at"] == "2040-12-20T05:00:00.000+01:00"


@pytest.mark.parametrize(("value", "message"), [(-1, "from 0 to 10080"), ("60", "whole number")])
def test_a_bad_lead_is_a_400_that_names_the_field(api: StaffApi, value, message):
    response = api.call("POST", "/scheduled-maintenances", {**NEW, "remind_minutes_before": value})
    assert response.status_code == 400, response.data
    assert response.data["field"] == "remind_minutes_before"
    assert message in response.data["message"]
    assert not Maintenance.objects.exists()
