"""Applying a WordPress plan: through the actions, backdated, telling nobody, all or nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from importers.models import SourceKey
from importers.wordpress_apply import ItemError, apply_plan
from incidents.models import (
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Post,
)
from notifier.models import Delivery, Notice
from tests.factories import oslo, publish_post
from tests.importers.wordpress_fixture import entry, runbox_plan

pytestmark = pytest.mark.django_db


def apply(plan, choices=None):
    return apply_plan(plan["source"], plan["items"], choices)


def test_it_imports_the_history_as_posts_incidents_and_maintenance():
    outcome = apply(runbox_plan())
    assert outcome == {"created": 10}
    assert Post.objects.count() == 5
    assert Incident.objects.count() == 3
    assert Maintenance.objects.count() == 2
    assert not Notice.objects.exists() and not Delivery.objects.exists()


def test_an_incident_keeps_each_timed_update_at_its_time():
    apply(runbox_plan())
    ddos = Incident.objects.get(title="Email services down because of DDoS")
    updates = list(ddos.updates.order_by("posted_at"))
    assert [u.posted_at for u in updates] == [
        oslo(2013, 1, 25, 0, 15),
        oslo(2013, 1, 25, 0, 45),
        oslo(2013, 1, 25, 1, 45),
        oslo(2013, 1, 25, 3, 45),
    ]
    assert updates[0].body.startswith("Our email services are inaccessible")
    assert ddos.status == IncidentStatus.RESOLVED
    assert ddos.resolved_at == oslo(2013, 1, 25, 3, 45)
    assert updates[-1].body.startswith("The attackers changed tactics")


def test_maintenance_gets_its_window_and_final_state_from_the_post():
    apply(runbox_plan())
    completed = Maintenance.objects.get(title="Scheduled database replacement and downtime")
    assert completed.status == MaintenanceStatus.COMPLETED
    assert (completed.scheduled_start, completed.scheduled_end) == (
        oslo(2012, 12, 20, 7, 0),
        oslo(2012, 12, 20, 8, 16),
    )
    postponed = Maintenance.objects.get(title__endswith="underway")
    assert postponed.status == MaintenanceStatus.POSTPONED
    assert postponed.updates.order_by("posted_at").last().posted_at == oslo(2012, 12, 12, 8, 9)


def test_posts_keep_slugs_dates_categories_tags_and_drafts_stay_drafts():
    apply(runbox_plan())
    spam = Post.objects.get(slug="spam-filter-upgrades-and-policies")
    assert spam.published_at == oslo(2016, 1, 24, 14, 0)
    assert [c.slug for c in spam.categories.all()] == ["news"]
    assert [t.name for t in spam.tags.all()] == ["spam"]
    imap = Post.objects.get(slug="new-imap-servers-deployed-with-perfect-forward-secrecy")
    assert sorted(c.name for c in imap.categories.all()) == ["News", "Security"]
    draft = Post.objects.get(title="Thank you for 2016 (draft)")
    assert draft.published_at is None


def test_importing_again_updates_and_never_duplicates():
    apply(runbox_plan())
    counts = (Post.objects.count(), Incident.objects.count(), Maintenance.objects.count())
    plan = runbox_plan()
    entry(plan, "109")["body"] += "\n\nEdited after the first import."
    outcome = apply(plan)
    assert outcome == {"updated": 5, "kept": 5}
    assert (Post.objects.count(), Incident.objects.count(), Maintenance.objects.count()) == counts
    assert Post.objects.get(slug="spam-filter-upgrades-and-policies").body.endswith("import.")
    assert SourceKey.objects.count() == 10


def test_a_failure_midway_leaves_nothing_written():
    publish_post(slug="spam-filter-upgrades-and-policies")  # taken: the 9th item is refused
    with pytest.raises(ItemError, match=r"post 109.*already exists"):
        apply(runbox_plan())
    assert Post.objects.count() == 1
    assert not Incident.objects.exists() and not Maintenance.objects.exists()
    assert not SourceKey.objects.exists()


def test_staff_choices_change_a_kind_and_skip_an_item():
    outcome = apply(runbox_plan(), {"104": "post", "101": "skip"})
    assert outcome == {"created": 9, "skipped": 1}
    assert Post.objects.filter(slug="email-services-down-because-of-ddos").exists()
    assert not Maintenance.objects.filter(title__endswith="underway").exists()


def test_a_kind_the_item_cannot_become_is_refused():
    with pytest.raises(ItemError, match=r"post 102.*cannot become 'maintenance'"):
        apply(runbox_plan(), {"102": "maintenance"})
    assert not Post.objects.exists()


def test_times_are_aware_and_in_utc():
    plan = runbox_plan()
    assert (
        datetime.fromisoformat(entry(plan, "104")["published_at"]).utcoffset().total_seconds() == 0
    )
