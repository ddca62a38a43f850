"""The overall status and blog posts; incidents and maintenance made through actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

import actions
from incidents.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    Maintenance,
    Post,
    overall_status,
    worst_status,
)
from tests.factories import make_component, open_incident, publish_post, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

T0 = utc(2024, 5, 1, 10, 0)
MINUTE = timedelta(minutes=1)

# Overall status


def test_it_reports_all_operational_when_nothing_is_wrong():
    make_component("IMAP")
    resolved = open_incident(impact=Impact.CRITICAL, at=T0)
    actions.resolve_incident(resolved, body="Fixed.", posted_at=T0 + MINUTE)

    overall = overall_status()

    assert (overall.indicator, overall.description) == ("none", "All systems operational")


@pytest.mark.parametrize(
    ("component_status", "indicator"),
    [
        (ComponentStatus.UNDER_MAINTENANCE, "maintenance"),
        (ComponentStatus.DEGRADED_PERFORMANCE, "minor"),
        (ComponentStatus.PARTIAL_OUTAGE, "major"),
        (ComponentStatus.MAJOR_OUTAGE, "critical"),
    ],
)
def test_it_takes_the_worst_component_status(component_status, indicator):
    make_component("IMAP")
    make_component("SMTP", status=component_status)

    assert overall_status().indicator == indicator


def test_it_takes_the_impact_of_an_unresolved_incident_without_components():
    make_component("IMAP")
    open_incident(impact=Impact.CRITICAL, at=T0)

    overall = overall_status()

    assert (overall.indicator, overall.description) == ("critical", "Major service outage")


def test_it_counts_maintenance_in_progress_but_not_scheduled_maintenance():
    make_component("IMAP")
    later = schedule_maintenance(start=T0 + timedelta(days=1), end=T0 + timedelta(days=1, hours=1))
    assert overall_status().indicator == "none"

    now = schedule_maintenance(start=T0, end=T0 + timedelta(hours=1))
    actions.start_maintenance(now, posted_at=T0)

    assert overall_status().indicator == "maintenance"
    assert later.status == "scheduled"


def test_it_lets_an_incident_outrank_maintenance():
    work = schedule_maintenance(start=T0, end=T0 + timedelta(hours=1))
    actions.start_maintenance(work, posted_at=T0)
    open_incident(impact=Impact.MINOR, at=T0)

    assert overall_status().indicator == "minor"


def test_worst_status_picks_the_worst_of_all_three_sources():
    calm = [Component(status=ComponentStatus.DEGRADED_PERFORMANCE)]

    assert worst_status(calm, [], []).indicator == "minor"
    assert worst_status(calm, [Incident(impact=Impact.MAJOR)], []).indicator == "major"
    assert (
        worst_status([], [Incident(impact=Impact.NONE)], [Maintenance()]).indicator == "maintenance"
    )
    assert worst_status([], [], []).css_class == "status-none"


# Posts


def test_it_labels_a_post_from_its_incident():
    incident = open_incident("Logins fail", at=T0)
    post = publish_post("Login trouble", incident=incident, at=T0)
    assert post.display_title == "[Investigating] Login trouble"

    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + MINUTE)
    post = Post.objects.get(pk=post.pk)
    assert post.display_title == "[Resolved] Login trouble"

    actions.post_incident_update(
        incident,
        status=IncidentStatus.POSTMORTEM,
        body="What we learned.",
        posted_at=T0 + 2 * MINUTE,
    )
    assert Post.objects.get(pk=post.pk).label == "Resolved"


def test_it_labels_a_post_from_its_maintenance():
    work = schedule_maintenance(start=T0, end=T0 + timedelta(hours=1))
    post = publish_post("Database upgrade", maintenance=work, at=T0)
    assert post.display_title == "Database upgrade"

    actions.start_maintenance(work, posted_at=T0)
    actions.postpone_maintenance(work, body="Rolled back.", posted_at=T0 + MINUTE)
    assert Post.objects.get(pk=post.pk).display_title == "[Postponed] Database upgrade"

    actions.reschedule_maintenance(
        work,
        scheduled_start=T0 + timedelta(days=1),
        scheduled_end=T0 + timedelta(days=1, hours=1),
        body="New time.",
        posted_at=T0 + 2 * MINUTE,
    )
    actions.start_maintenance(work, posted_at=T0 + timedelta(days=1))
    actions.complete_maintenance(work, posted_at=T0 + timedelta(days=1, hours=1))
    assert Post.objects.get(pk=post.pk).display_title == "[Completed] Database upgrade"


def test_it_has_no_label_for_a_plain_post():
    assert publish_post("New spam filter").display_title == "New spam filter"


def test_it_splits_the_excerpt_at_the_more_marker():
    post = publish_post(body="Short part.\n\n<!--more-->\n\nLong part.")

    assert post.has_more
    assert post.excerpt.strip() == "Short part."
    assert "Long part." not in post.excerpt
    assert "<!--more-->" not in post.full_body
    assert "Short part." in post.full_body and "Long part." in post.full_body


def test_it_uses_the_whole_body_as_excerpt_without_a_marker():
    post = publish_post(body="All of it.")

    assert not post.has_more
    assert post.excerpt == post.full_body == "All of it."


def test_it_refuses_a_post_with_a_slug_already_taken():
    publish_post("First", slug="new-filter")

    with pytest.raises(ValidationError, match="already exists"):
        publish_post("Second", slug="new-filter")

    assert list(Post.objects.values_list("title", flat=True)) == ["First"]


@pytest.mark.parametrize("slug", ["new filter!", "", "ny/filter"])
def test_it_refuses_a_post_whose_slug_cannot_be_an_address(slug):
    # Such a post would make every page that links to it fail (NoReverseMatch).
    with pytest.raises(ValidationError):
        actions.publish_post(title="New filter", slug=slug, body="A better filter.")

    assert Post.objects.count() == 0
