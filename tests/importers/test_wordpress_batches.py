"""The batched writes of a WordPress plan leave exactly what the acts one by one would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction

from console.roles import Role
from importers.models import SourceKey
from importers.wordpress import INCIDENT, MAINTENANCE, POST
from importers.wordpress_apply import ItemError, apply_entry, apply_plan
from incidents.models import Incident, Maintenance, Post, PublicationState
from tests.console.conftest import make_staff
from tests.importers.wordpress_fixture import runbox_plan

pytestmark = pytest.mark.django_db


def everything() -> dict[str, Any]:
    """What an import left, without ids and the time it ran."""
    posts = [
        (
            *Post.objects.filter(pk=p.pk).values_list(
                "title", "slug", "body", "published_at", "created_at", "updated_at",
                "scheduled_notice", "author__username",
            ).get(),
            sorted(p.categories.values_list("slug", flat=True)),
            sorted(p.tags.values_list("slug", flat=True)),
        )
        for p in Post.objects.order_by("slug")
    ]  # fmt: skip
    # A draft is written by its act in both ways, at the time it runs.
    posts = [(*p[:4], None, None, *p[6:]) if p[3] is None else p for p in posts]
    incidents = [
        (
            i.title, i.status, i.impact, i.started_at, i.created_at, i.updated_at,
            i.resolved_at, i.monitoring_at,
            list(i.updates.order_by("posted_at", "pk").values_list(
                "status", "body", "posted_at", "component_changes", "author__username"
            )),
        )
        for i in Incident.objects.order_by("title")
    ]  # fmt: skip
    windows = [
        (
            m.title, m.body, m.status, m.scheduled_start, m.scheduled_end, m.started_at,
            m.completed_at, m.sequence, m.version, m.created_at, m.updated_at, m.auto_start,
            list(m.updates.order_by("posted_at", "pk").values_list(
                "status", "body", "posted_at", "window_start", "window_end", "author__username"
            )),
        )
        for m in Maintenance.objects.order_by("title")
    ]  # fmt: skip
    keys = sorted(SourceKey.objects.values_list("source", "kind", "source_id", "source_path"))
    return {"posts": posts, "incidents": incidents, "windows": windows, "keys": keys}


def imported(*, batched: bool) -> dict[str, Any]:
    plan = runbox_plan()
    with transaction.atomic():
        if batched:
            apply_plan(plan["source"], plan["items"])
        else:
            for entry in plan["items"]:
                apply_entry(plan["source"], entry, entry["kind"])
        found = everything()
        transaction.set_rollback(True)
    return found


def test_batches_write_what_the_acts_one_by_one_write():
    make_staff("geir", Role.EDITOR)  # the fixture's author of the incidents and windows
    one_by_one, batched = imported(batched=False), imported(batched=True)
    assert {kind for _, kind, _, _ in batched["keys"]} == {POST, INCIDENT, MAINTENANCE}
    assert len(batched["posts"]) == 5 and len(batched["incidents"]) == 3
    assert len(batched["windows"]) == 2
    assert batched["incidents"][0][-1][0][-1] == "geir"
    assert batched == one_by_one


def test_a_batch_tells_the_public_pages_to_refresh():
    before = PublicationState.current_token()
    plan = runbox_plan()
    for entry in plan["items"]:
        entry["kind"] = "skip" if entry["kind"] != INCIDENT else INCIDENT
    apply_plan(plan["source"], plan["items"])  # only the batch of incidents writes
    assert PublicationState.current_token() != before


def test_a_refused_post_in_a_batch_is_named_and_nothing_is_written():
    plan = runbox_plan()
    broken = next(e for e in plan["items"] if e["kind"] == POST and e["publication"] != "draft")
    broken["title"] = "   "
    with pytest.raises(ItemError, match=f"^{re.escape(broken['label'])}: A post needs a title"):
        apply_plan(plan["source"], plan["items"])
    assert not Post.objects.exists() and not Incident.objects.exists()
    assert not SourceKey.objects.exists()


def test_batches_take_a_fraction_of_the_statements():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for batched in (False, True):
        with CaptureQueriesContext(connection) as queries:
            imported(batched=batched)
        counts.append(len(queries))
    one_by_one, batched_count = counts
    assert batched_count < one_by_one / 2, counts
