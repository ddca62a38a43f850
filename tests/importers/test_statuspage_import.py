"""Importing a Statuspage page from its v2 JSON: what each item becomes; again; all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from importers.history_items import SourceError
from importers.imports import import_statuspage
from importers.models import SourceKey
from incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)
from notifier.models import Notice
from tests.factories import make_component
from tests.importers.conftest import EXAMPLE

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

CEST = timezone(timedelta(hours=2))


def test_components_land_in_their_groups_with_the_pages_current_status():
    import_statuspage([EXAMPLE])
    group = ComponentGroup.objects.get()
    assert group.name == "Automation"
    assert sorted(c.name for c in group.components.all()) == ["Actions", "Pages"]
    assert Component.objects.get(name="Git Operations").group is None
    # The page says Pages is degraded now, whatever the history moved it through.
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses == {
        "Git Operations": "operational",
        "Webhooks": "operational",
        "Actions": "operational",
        "Pages": "degraded_performance",
    }


def test_every_update_keeps_its_time_status_and_component_changes():
    import_statuspage([EXAMPLE])
    incident = Incident.objects.get(title="Incident with Pages and Actions")
    assert incident.impact == "major" and incident.status == "resolved"
    updates = list(incident.updates.order_by("posted_at"))
    assert [u.status for u in updates] == ["investigating"] * 5 + ["resolved"]
    assert updates[0].posted_at == datetime(2024, 9, 16, 21, 31, 2, 798000, tzinfo=UTC)
    assert incident.resolved_at == datetime(2024, 9, 16, 22, 8, 39, 333000, tzinfo=UTC)
    assert [
        (c["name"], c["old_status"], c["new_status"]) for c in updates[1].component_changes
    ] == [("Actions", "partial_outage", "major_outage")]
    affected = {row.component.name: row.status for row in incident.affected.all()}
    assert affected == {"Pages": "operational", "Actions": "operational"}


def test_an_offset_time_is_kept_as_the_same_instant():
    import_statuspage([EXAMPLE])
    backfilled = Incident.objects.get(title="Delayed webhook deliveries")
    assert backfilled.status == "resolved"
    assert backfilled.started_at == datetime(2024, 9, 10, 7, 40, tzinfo=CEST)
    assert backfilled.resolved_at == datetime(2024, 9, 10, 9, 2, 11, 101000, tzinfo=CEST)
    assert backfilled.updates.count() == 1


def test_the_open_incident_stays_open_and_listed_once():
    import_statuspage([EXAMPLE])  # it is in summary.json and in incidents.json
    open_one = Incident.objects.get(title="Slow Pages builds")
    assert open_one.status == "identified" and open_one.is_open
    assert open_one.updates.count() == 2
    assert Incident.objects.count() == 4


def test_maintenance_windows_follow_their_updates():
    import_statuspage([EXAMPLE])
    done = Maintenance.objects.get(title__contains="Server Juice")
    assert done.status == "completed"
    assert [u.status for u in done.updates.order_by("posted_at")] == [
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    ]
    assert done.scheduled_start == datetime(2015, 9, 22, 8, 0, tzinfo=UTC)
    assert "\r" not in done.body and "juice wow. Please wait" in done.body  # CRLF read as LF
    upcoming = Maintenance.objects.get(title="Git Operations database upgrade")
    assert upcoming.status == "scheduled"
    assert upcoming.body.startswith("We will upgrade the database")
    assert [c.name for c in upcoming.components.all()] == ["Git Operations"]


def test_an_import_tells_nobody():
    import_statuspage([EXAMPLE])
    assert not Notice.objects.exists()


def test_importing_again_updates_and_never_duplicates(example: Path):
    import_statuspage([example])
    counts = (Incident.objects.count(), IncidentUpdate.objects.count(), SourceKey.objects.count())
    incidents = json.loads((example / "incidents.json").read_text())
    open_one = incidents["incidents"][0]
    open_one["name"] = "Slow Pages builds in one region"
    open_one["incident_updates"].insert(
        0,
        {
            **open_one["incident_updates"][0],
            "id": "u3resolvedxx",
            "status": "resolved",
            "body": "Builds are fast again.",
            "display_at": "2024-09-17T09:00:00.000Z",
            "affected_components": None,
        },
    )
    (example / "incidents.json").write_text(json.dumps(incidents))
    (example / "summary.json").unlink()
    report = import_statuspage([example])

    assert report.counts[("incident", "updated")] == 1
    assert report.counts[("incident", "unchanged")] == 3
    assert Incident.objects.count() == counts[0]
    assert IncidentUpdate.objects.count() == counts[1] + 1
    assert SourceKey.objects.count() == counts[2] + 1
    changed = Incident.objects.get(title="Slow Pages builds in one region")
    assert changed.status == "resolved"
    assert Maintenance.objects.count() == 2 and MaintenanceUpdate.objects.count() == 5


def test_a_failure_leaves_nothing_written(example: Path):
    incidents = json.loads((example / "incidents.json").read_text())
    incidents["incidents"][-1]["incident_updates"][0]["status"] = "fixed"
    (example / "incidents.json").write_text(json.dumps(incidents))
    with pytest.raises(SourceError, match="incident x1bfk2c0q8zd, update b8d0w1kq2x7m"):
        import_statuspage([example])
    assert not Component.objects.exists()
    assert not Incident.objects.exists()
    assert not SourceKey.objects.exists()


def test_a_dry_run_prints_the_plan_and_writes_nothing(capsys):
    call_command("import_statuspage", str(EXAMPLE), "--dry-run")
    out = capsys.readouterr().out
    assert "incident created: Incident with Pages and Actions (6 updates)" in out
    assert "incident: 4 created" in out
    assert not Incident.objects.exists() and not Component.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda text: text.replace('"impact": "major"', '"impact": "huge"', 1),
            "incidents.json, incident 69sb0f8lydp4: unknown impact 'huge'",
        ),
        (
            lambda text: text.replace("2024-09-16T21:31:02.798Z", "2024-09-16T21:31:02"),
            "incident 69sb0f8lydp4, update 9lpqk4965mzb: the time '2024-09-16T21:31:02' "
            "carries no zone; say which zone the source's times are in with --zone",
        ),
        (
            lambda text: text.replace('"incidents": [', '"incidents": [,', 1),
            "incidents.json: is not valid JSON: Expecting value at line 9, column 17",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_file_and_item(example: Path, change, message):
    (example / "summary.json").unlink()
    path = example / "incidents.json"
    path.write_text(change(path.read_text()))
    with pytest.raises(CommandError) as caught:
        call_command("import_statuspage", str(example))
    assert message in str(caught.value)
    assert not Component.objects.exists()


def test_a_time_without_zone_is_read_in_the_zone_given(example: Path):
    (example / "summary.json").unlink()
    path = example / "incidents.json"
    path.write_text(path.read_text().replace("2024-09-16T21:31:02.798Z", "2024-09-16T23:31:02"))
    call_command("import_statuspage", str(example), "--zone", "Europe/Oslo")
    first = SourceKey.objects.get(kind="incident_update", source_id="9lpqk4965mzb").target
    assert first.posted_at == datetime(2024, 9, 16, 21, 31, 2, tzinfo=UTC)


def test_two_components_of_one_name_are_refused(example: Path):
    path = example / "components.json"
    path.write_text(path.read_text().replace('"name": "Webhooks"', '"name": "Git operations"'))
    (example / "summary.json").unlink()
    with pytest.raises(SourceError, match="two components are called 'Git operations'"):
        import_statuspage([example])


def test_an_impossible_sequence_of_updates_names_its_incident(example: Path):
    (example / "summary.json").unlink()
    incidents = json.loads((example / "incidents.json").read_text())
    updates = incidents["incidents"][1]["incident_updates"]  # newest first
    updates[1]["status"] = "postmortem"  # straight after "investigating"
    (example / "incidents.json").write_text(json.dumps(incidents))
    with pytest.raises(SourceError) as refused:
        import_statuspage([example])
    assert str(refused.value) == (
        "incidents.json, incident 69sb0f8lydp4: "
        "An incident that is investigating cannot become postmortem."
    )
    assert not Incident.objects.exists()


def test_a_corrected_update_text_is_corrected_here(example: Path):
    import_statuspage([example])
    incidents = json.loads((example / "incidents.json").read_text())
    incidents["incidents"][1]["incident_updates"][0]["body"] = "Resolved: Actions are healthy."
    (example / "incidents.json").write_text(json.dumps(incidents))
    report = import_statuspage([example])
    assert report.counts[("incident", "updated")] == 1
    resolved = SourceKey.objects.get(kind="incident_update", source_id="gv96mtfg46fj").target
    assert resolved.body == "Resolved: Actions are healthy."
    assert IncidentUpdate.objects.filter(incident=resolved.incident).count() == 6


def test_a_component_already_here_by_that_name_is_linked_not_copied():
    make_component("pages", description="Our own words")
    report = import_statuspage([EXAMPLE])
    assert Component.objects.filter(name__iexact="pages").count() == 1
    pages = Component.objects.get(name="Pages")
    assert pages.group.name == "Automation"  # the source's fields win
    assert report.counts[("component", "linked to the one of its name here")] == 1
    assert SourceKey.objects.get(kind="component", source_id="vg70hn9s2tyj").target == pages


def test_the_command_wants_files_or_an_address_not_both():
    with pytest.raises(CommandError, match="Give either --url or one or more files"):
        call_command("import_statuspage")
    with pytest.raises(CommandError, match="Give either --url or one or more files"):
        call_command("import_statuspage", str(EXAMPLE), "--url", "https://status.example")


def test_a_control_character_is_refused_naming_where(example: Path):
    (example / "summary.json").unlink()
    path = example / "incidents.json"
    path.write_text(path.read_text().replace("This incident has been resolved.", "Done\\u001b[0m"))
    with pytest.raises(SourceError, match=r"incident 69sb0f8lydp4, update [0-9a-z]+: .*ESC"):
        import_statuspage([example])
