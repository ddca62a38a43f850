"""Importing a Cachet API dump: integer statuses mapped, times read in the zone given."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from importers.history_items import SourceError
from importers.imports import import_cachet
from incidents.models import Component, ComponentGroup, Incident, Maintenance
from notifier.models import Notice, Subscriber
from tests.importers.conftest import FIXTURES

pytestmark = pytest.mark.django_db
DUMP = FIXTURES / "cachet"
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    copy = tmp_path / "cachet"
    shutil.copytree(DUMP, copy)
    return copy


def test_components_groups_and_statuses_are_mapped():
    import_cachet(DUMP, zone=OSLO)
    assert list(ComponentGroup.objects.values_list("name", flat=True)) == ["Mail", "Web"]
    statuses = {c.name: (c.status, c.group and c.group.name) for c in Component.objects.all()}
    assert statuses == {
        "IMAP": ("operational", "Mail"),
        "SMTP": ("degraded_performance", "Mail"),
        "Webmail": ("operational", "Web"),
        "DNS": ("operational", None),
    }


def test_incidents_keep_their_updates_at_their_times_in_the_zone_given():
    report = import_cachet(DUMP, zone=OSLO)
    login = Incident.objects.get(title="Webmail login failures")
    assert login.status == "resolved"
    updates = list(login.updates.order_by("posted_at"))
    assert [u.status for u in updates] == ["investigating", "identified", "monitoring", "resolved"]
    assert updates[0].posted_at == datetime(2016, 2, 20, 14, 2, tzinfo=OSLO)
    assert login.resolved_at == datetime(2016, 2, 20, 16, 0, tzinfo=OSLO)
    assert [row.component.name for row in login.affected.all()] == ["Webmail"]
    assert Incident.objects.get(title="Outgoing mail delayed").status == "identified"
    assert (
        report.skipped[
            "incidents of status 0 (Cachet's old scheduled maintenance, now in schedules)"
        ]
        == 1
    )
    assert not Notice.objects.exists()


def test_schedules_become_windows_in_their_state():
    import_cachet(DUMP, zone=OSLO)
    done = Maintenance.objects.get(title="IMAP server upgrade")
    assert done.status == "completed"
    assert (done.scheduled_start, done.completed_at) == (
        datetime(2016, 2, 14, 23, 0, tzinfo=OSLO),
        datetime(2016, 2, 14, 23, 30, tzinfo=OSLO),
    )
    assert [c.name for c in done.components.all()] == ["IMAP"]
    assert Maintenance.objects.get(title="Webmail release").status == "scheduled"


def test_verified_subscribers_are_asked_again_and_the_unverified_skipped(
    django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_cachet(DUMP, zone=OSLO)
    assert not Subscriber.objects.exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["kari@example.no", "ola@example.no"]
    assert report.skipped["subscribers who never confirmed their address at the source"] == 1


def test_keep_consent_stores_them_confirmed_when_cachet_verified_them():
    import_cachet(DUMP, zone=OSLO, keep_consent=True)
    ola = Subscriber.objects.get(email="ola@example.no")
    assert ola.confirmed_at == datetime(2016, 2, 2, 10, 0, tzinfo=OSLO)
    assert [c.name for c in ola.components.all()] == ["IMAP"]


def test_a_second_import_changes_nothing():
    import_cachet(DUMP, zone=OSLO, keep_consent=True)
    report = import_cachet(DUMP, zone=OSLO, keep_consent=True)
    assert report.counts[("incident", "unchanged")] == 2
    assert report.counts[("maintenance", "unchanged")] == 2
    assert Incident.objects.count() == 2 and Subscriber.objects.count() == 2


def test_without_a_zone_the_import_asks_for_one():
    with pytest.raises(CommandError, match=r"carries no zone; say which zone .* with --zone"):
        call_command("import_cachet", str(DUMP))
    assert not Component.objects.exists()


def test_an_unknown_status_is_named_with_its_item(dump: Path):
    path = dump / "components.json"
    data = json.loads(path.read_text())
    data["data"][1]["status"] = 7
    path.write_text(json.dumps(data))
    with pytest.raises(
        SourceError, match=r"components.json, component 2: unknown component status 7"
    ):
        import_cachet(dump, zone=OSLO)


def test_one_file_holding_every_list_is_read_too(tmp_path: Path):
    whole = {path.stem: json.loads(path.read_text()) for path in DUMP.glob("*.json")}
    single = tmp_path / "cachet.json"
    single.write_text(json.dumps(whole))
    import_cachet(single, zone=OSLO)
    assert Incident.objects.count() == 2 and Maintenance.objects.count() == 2
