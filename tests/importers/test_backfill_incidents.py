"""backfill_incidents: past incidents written whole, the lifecycle checked, nobody told."""

from __future__ import annotations

from datetime import timedelta

import pytest

import actions
from incidents.models import Incident, IncidentUpdate, PublicationState
from notifier.models import Notice
from tests.factories import make_component, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def past(*steps: tuple[str, dict], title: str = "Mail delayed") -> actions.PastIncident:
    start = utc(2014, 3, 1, 9, 0)
    return actions.PastIncident(
        title=title,
        impact="major",
        started_at=start - timedelta(minutes=10),
        updates=[
            actions.PastUpdate(status, f"Step {i}", start + timedelta(minutes=20 * i), given)
            for i, (status, given) in enumerate(steps)
        ],
    )


def test_a_past_incident_keeps_its_times_and_the_changes_each_update_made():
    smtp = make_component("SMTP")
    [(incident, rows)] = actions.backfill_incidents(
        [
            past(
                ("investigating", {smtp: "partial_outage"}),
                ("monitoring", {smtp: "degraded_performance"}),
                ("resolved", {smtp: "operational"}),
            )
        ]
    )
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.started_at == utc(2014, 3, 1, 8, 50)
    assert incident.monitoring_at == utc(2014, 3, 1, 9, 20)
    assert incident.resolved_at == utc(2014, 3, 1, 9, 40)
    changes = [row.component_changes for row in incident.updates.order_by("posted_at")]
    assert [(c[0]["old_status"], c[0]["new_status"]) for c in changes] == [
        ("operational", "partial_outage"),
        ("partial_outage", "degraded_performance"),
        ("degraded_performance", "operational"),
    ]
    assert [row.pk for row in rows] == list(
        incident.updates.order_by("posted_at").values_list("pk", flat=True)
    )


def test_live_statuses_stay_and_nobody_is_told():
    smtp = make_component("SMTP")
    token = PublicationState.current_token()
    actions.backfill_incidents([past(("investigating", {smtp: "major_outage"}))])
    smtp.refresh_from_db()
    assert smtp.status == "operational"  # the importer sets what the source shows now
    assert not Notice.objects.exists()
    assert PublicationState.current_token() != token  # public pages show it at once


def test_a_step_the_lifecycle_forbids_refuses_the_whole_batch():
    good = past(("resolved", {}), title="Fine")
    bad = past(("resolved", {}), ("postmortem", {}), ("investigating", {}), title="Bad")
    with pytest.raises(actions.PastIncidentRefused) as refused:
        actions.backfill_incidents([good, bad])
    assert refused.value.index == 1
    assert "postmortem cannot become investigating" in " ".join(refused.value.messages)
    assert not Incident.objects.exists() and not IncidentUpdate.objects.exists()
