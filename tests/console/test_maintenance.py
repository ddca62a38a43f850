"""Maintenance through the console: schedule, postpone, reschedule, start, complete; bad input,
conflicts and who may do it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urljoin

import pytest
from django.urls import reverse
from django.utils import timezone

import actions
from actions.stock_texts import RESUMED_TEXT
from console.forms.fields import site_local
from console.forms.maintenance import (
    ACTS,
    ANNOUNCEMENT,
    REASON_TO_GIVE,
    WORK_TO_DESCRIBE,
    act_form,
)
from console.roles import Role
from incidents import timefmt
from incidents.models import AuditEntry, ComponentStatus, Maintenance, MaintenanceStatus
from notifier.models import Notice, NoticeKind
from tests.console.conftest import make_staff
from tests.factories import make_component, schedule_maintenance

pytestmark = pytest.mark.django_db

ANNOUNCED = ANNOUNCEMENT.replace(
    WORK_TO_DESCRIBE, "We are switching to two much more powerful database servers."
).replace(REASON_TO_GIVE, "This is part of our server upgrade plan.")


# One "now" for the whole module, so a minute turning mid-test cannot move a window.
START = timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def imap(db):
    return make_component("IMAP")


def ahead(days: float, hours: float = 0):
    return START + timedelta(days=days, hours=hours)


def schedule_data(imap, **overrides: object) -> dict[str, object]:
    data = {
        "title": "Scheduled database replacement and downtime",
        "components": [imap.pk],
        "scheduled_start": site_local(ahead(2)),
        "scheduled_end": site_local(ahead(2, 2)),
        "body": ANNOUNCED,
        "auto_start": "on",
        "auto_complete": "on",
        "channels": ["email"],
    }
    data.update(overrides)
    return data


def act(client, maintenance: Maintenance, name: str, **fields: object):
    maintenance.refresh_from_db()
    data = {f"{name}-version": maintenance.version, f"{name}-channels": ["email"]}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(reverse("console:maintenance_act", args=[maintenance.pk, name]), data)


def links(client, url: str) -> set[str]:
    """Every link on the page, resolved (pages are served with relative links)."""
    html = client.get(url).content.decode()
    return {urljoin(url, href) for href in re.findall(r'href="([^"]*)"', html)}


def acts_offered(client, maintenance: Maintenance) -> set[str]:
    page = client.get(reverse("console:maintenance", args=[maintenance.pk])).content.decode()
    return set(re.findall(r'id="act-(\w+)"', page))


def test_the_whole_lifecycle_as_in_december_2012(signed_in, editor, imap):
    client = signed_in(editor)
    new_page = client.get(reverse("console:maintenance_new"))
    assert new_page.status_code == 200
    for section in ("What you can do", "What we are doing", "Why it is being done"):
        assert section in new_page.content.decode()

    response = client.post(reverse("console:maintenance_new"), schedule_data(imap))
    maintenance = Maintenance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:maintenance", args=[maintenance.pk])
    first_window = (maintenance.scheduled_start, maintenance.scheduled_end)
    assert first_window == (ahead(2), ahead(2, 2))
    assert list(maintenance.components.all()) == [imap]
    assert maintenance.updates.get().author == editor
    assert maintenance.title in client.get(reverse("status_page")).content.decode()
    public = client.get(maintenance.get_absolute_url()).content.decode()
    assert "switching to two much more powerful" in public and "What you can do" in public
    assert acts_offered(client, maintenance) == {"start", "note", "reschedule", "cancel"}

    assert act(client, maintenance, "start", body="").status_code == 302
    maintenance.refresh_from_db()
    imap.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert imap.status == ComponentStatus.UNDER_MAINTENANCE
    assert acts_offered(client, maintenance) == {"note", "verify", "complete", "postpone"}

    note = "UPDATE 07:19 CET: Starting import of database records."
    assert act(client, maintenance, "note", body=note).status_code == 302
    reverted = "UPDATE 08:09 CET: The safest solution is to revert to the old server."
    assert act(client, maintenance, "postpone", body=reverted).status_code == 302
    maintenance.refresh_from_db()
    imap.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.POSTPONED
    assert imap.status == ComponentStatus.OPERATIONAL
    assert acts_offered(client, maintenance) == {"note", "reschedule", "cancel"}
    public = client.get(maintenance.get_absolute_url()).content.decode()
    assert "revert to the old server" in public and "Postponed" in public

    new_start, new_end = ahead(9), ahead(9, 2)
    response = act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(new_start),
        scheduled_end=site_local(new_end),
        body="The conversion is done; the switch is rescheduled.",
    )
    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.RESCHEDULED
    assert (maintenance.scheduled_start, maintenance.scheduled_end) == (new_start, new_end)
    assert maintenance.sequence == 2  # postponed, then rescheduled
    assert maintenance.earlier_windows() == [first_window]
    public = client.get(maintenance.get_absolute_url()).content.decode()
    assert "Earlier windows" in public
    assert timefmt.window_everywhere(new_start, new_end)[0] in public

    assert act(client, maintenance, "start", body="").status_code == 302
    assert act(client, maintenance, "complete", body="All good.").status_code == 302
    maintenance.refresh_from_db()
    imap.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert imap.status == ComponentStatus.OPERATIONAL
    assert acts_offered(client, maintenance) == set()
    assert (
        "nothing more to do"
        in client.get(reverse("console:maintenance", args=[maintenance.pk])).content.decode()
    )

    kinds = list(
        Notice.objects.filter(maintenance=maintenance).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [
        NoticeKind.MAINTENANCE_SCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_UPDATED,
        NoticeKind.MAINTENANCE_POSTPONED,
        NoticeKind.MAINTENANCE_RESCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_COMPLETED,
    ]
    audit = list(
        AuditEntry.objects.about(maintenance).order_by("id").values_list("action", "actor")
    )
    assert audit == [
        ("maintenance.scheduled", editor.pk),
        ("maintenance.in_progress", editor.pk),
        ("maintenance.note", editor.pk),
        ("maintenance.postponed", editor.pk),
        ("maintenance.rescheduled", editor.pk),
        ("maintenance.in_progress", editor.pk),
        ("maintenance.completed", editor.pk),
    ]
    public = client.get(maintenance.get_absolute_url()).content.decode()
    assert "Completed" in public and "Starting import of database records" in public


def test_work_is_verified_then_resumed_then_completed(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    client = signed_in(editor)
    assert "verify" not in acts_offered(client, maintenance)
    assert act(client, maintenance, "start", body="").status_code == 302
    maintenance.refresh_from_db()
    started_at = maintenance.started_at

    response = act(client, maintenance, "verify", body="Checking mail flows through.")
    assert response.status_code == 302
    maintenance.refresh_from_db()
    imap.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.VERIFYING
    assert imap.status == ComponentStatus.UNDER_MAINTENANCE
    assert acts_offered(client, maintenance) == {"start", "note", "complete", "postpone"}
    page = client.get(reverse("console:maintenance", args=[maintenance.pk])).content.decode()
    assert "started verifying the maintenance: " in page
    assert str(RESUMED_TEXT) in page  # the start form, offered again, reads as resuming the work
    public = client.get(maintenance.get_absolute_url()).content.decode()
    assert "Verifying" in public and "Checking mail flows through." in public
    assert "Verifying" in client.get(reverse("status_page")).content.decode()

    assert act(client, maintenance, "start", body="").status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.started_at == started_at
    assert maintenance.timeline()[0].body == RESUMED_TEXT
    assert act(client, maintenance, "verify", body="").status_code == 302
    assert act(client, maintenance, "complete", body="All good.").status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert [u.status for u in reversed(maintenance.timeline())] == [
        "scheduled",
        "in_progress",
        "verifying",
        "in_progress",
        "verifying",
        "completed",
    ]
    assert list(
        Notice.objects.filter(maintenance=maintenance).order_by("id").values_list("kind", flat=True)
    ) == [
        NoticeKind.MAINTENANCE_SCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_UPDATED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_UPDATED,
        NoticeKind.MAINTENANCE_COMPLETED,
    ]


def test_verifying_work_that_has_not_started_is_refused_on_the_form(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    response = act(signed_in(editor), maintenance, "verify", body="Checking.")
    assert response.status_code == 400
    assert "cannot become verifying" in response.content.decode()
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.updates.count() == 1


def test_the_list_sorts_windows_by_state(signed_in, editor, imap):
    upcoming = schedule_maintenance("Upcoming work", start=ahead(3), end=ahead(3, 1))
    postponed = schedule_maintenance("Reverted work", start=ahead(1), end=ahead(1, 1))
    actions.start_maintenance(postponed)
    actions.postpone_maintenance(postponed, body="Reverted.")
    client = signed_in(editor)
    html = client.get(reverse("console:maintenance_list")).content.decode()
    waiting = html.index("Awaiting a new window")
    assert html.index("Upcoming work") < waiting < html.index("Reverted work")
    assert reverse("console:maintenance", args=[upcoming.pk]) in links(
        client, reverse("console:maintenance_list")
    )


def test_preview_shows_the_window_everywhere_and_saves_nothing(signed_in, editor, imap):
    client = signed_in(editor)
    data = schedule_data(imap, body=ANNOUNCEMENT)  # the blanks are still there: fine to preview
    response = client.post(reverse("console:maintenance_new_preview"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scheduled database replacement and downtime" in html and "Email subject" in html
    main, others = timefmt.window_everywhere(ahead(2), ahead(2, 2))
    assert main in html and others and all(other.text in html for other in others)
    assert "<h2>What you can do</h2>" in html
    assert not Maintenance.objects.exists() and not Notice.objects.exists()
    assert not AuditEntry.objects.exists()


def test_window_preview_in_the_extra_zones(signed_in, editor):
    client = signed_in(editor)
    url = reverse("console:maintenance_window_preview")
    start, end = ahead(5), ahead(5, 2)
    response = client.post(
        url,
        {
            "prefix": "reschedule",
            "reschedule-scheduled_start": site_local(start),
            "reschedule-scheduled_end": site_local(end),
        },
        HTTP_HX_REQUEST="true",
    )
    _, others = timefmt.window_everywhere(start, end)
    assert [o.text for o in others if o.text in response.content.decode()] == [
        o.text for o in others
    ]
    backwards = client.post(
        url, {"scheduled_start": site_local(end), "scheduled_end": site_local(start)}
    )
    assert backwards.status_code == 200 and b"must end after it starts" in backwards.content


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"scheduled_end": site_local(ahead(2) - timedelta(hours=1))},
            "The window must end after it starts",
        ),
        (
            {"scheduled_start": site_local(ahead(-1)), "scheduled_end": site_local(ahead(-1, 2))},
            "is in the past",
        ),
        ({"body": "   "}, "cannot be empty"),
        ({"body": "x" * 20_001}, "under 20,000 characters"),
        ({"body": ANNOUNCEMENT}, "Replace the text in parentheses"),
        ({"body": "Downtime {window}."}, "Replace {window}"),
        ({"components": ["999999"]}, "There is no component 999999"),
        ({"components": ["imap"]}, "is not a component"),
        ({"components": ["9" * 30]}, "is not a component"),  # SQLite would overflow
        ({"title": ""}, "Give the maintenance a title"),
        (
            {"scheduled_start": "2099-03-29T02:30", "scheduled_end": "2099-03-29T04:00"},
            "the clocks skip that hour",
        ),
        ({"scheduled_start": "tomorrow"}, "Enter a valid date/time"),
    ],
)
def test_bad_schedules_are_refused_on_the_form(signed_in, editor, imap, overrides, message):
    response = signed_in(editor).post(
        reverse("console:maintenance_new"), schedule_data(imap, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Maintenance.objects.exists()
    assert not Notice.objects.exists() and not AuditEntry.objects.exists()


def test_bad_acts_change_nothing(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    client = signed_in(editor)
    before = (maintenance.version, maintenance.updates.count(), Notice.objects.count())

    # Postponing needs the work to have started.
    refused = act(client, maintenance, "postpone", body="Reverted.")
    assert refused.status_code == 400
    assert "cannot become postponed" in refused.content.decode()
    assert act(client, maintenance, "cancel", body=" ").status_code == 400
    backwards = act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(4)),
        scheduled_end=site_local(ahead(3)),
        body="Moved.",
    )
    assert b"must end after it starts" in backwards.content
    past = act(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(-2)),
        scheduled_end=site_local(ahead(-2, 1)),
        body="Moved.",
    )
    assert b"is in the past" in past.content
    assert act(client, maintenance, "note", body="y" * 20_001).status_code == 400
    stamp_only = act(client, maintenance, "note", body="UPDATE 07:19 CET: ")
    assert b"Write the note after the time stamp" in stamp_only.content
    garbled = client.post(
        reverse("console:maintenance_act", args=[maintenance.pk, "note"]),
        {"note-version": "banana", "note-body": "Hello"},
    )
    assert garbled.status_code == 400
    unknown = client.post(reverse("console:maintenance_act", args=[maintenance.pk, "explode"]))
    assert unknown.status_code == 404

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert (maintenance.version, maintenance.updates.count(), Notice.objects.count()) == before


def test_the_second_of_two_editors_is_told_and_keeps_their_text(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    seen = maintenance.version
    other = make_staff("olav", Role.EDITOR)
    url = reverse("console:maintenance_act", args=[maintenance.pk, "cancel"])
    first = signed_in(other).post(
        reverse("console:maintenance_act", args=[maintenance.pk, "note"]),
        {"note-version": seen, "note-body": "Preparations are going well."},
    )
    assert first.status_code == 302
    client = signed_in(editor)
    second = client.post(url, {"cancel-version": seen, "cancel-body": "My careful reason."})
    assert second.status_code == 409
    html = second.content.decode()
    assert "changed while you were writing" in html
    assert "My careful reason." in html and "olav posted a note" in html
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    version = re.search(r'name="cancel-version" value="(\d+)"', html)[1]
    third = client.post(url, {"cancel-version": version, "cancel-body": "My careful reason."})
    assert third.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.CANCELLED


def test_dashboard_links_to_the_console_page_and_offers_scheduling(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2))
    reverted = schedule_maintenance("Reverted switch", start=ahead(2), end=ahead(2, 2))
    actions.start_maintenance(reverted)
    actions.postpone_maintenance(reverted, body="Reverted.")
    client = signed_in(editor)
    found = links(client, reverse("console:dashboard"))
    assert reverse("console:maintenance", args=[maintenance.pk]) in found
    assert reverse("console:maintenance", args=[reverted.pk]) in found  # a promise to keep
    assert reverse("console:maintenance_new") in found
    assert "Awaiting a new window" in client.get(reverse("console:dashboard")).content.decode()


def _urls(maintenance: Maintenance) -> list[tuple[str, str]]:
    return [
        ("get", reverse("console:maintenance_list")),
        ("get", reverse("console:maintenance_new")),
        ("get", reverse("console:maintenance", args=[maintenance.pk])),
        ("post", reverse("console:maintenance_new_preview")),
        ("post", reverse("console:maintenance_window_preview")),
        ("post", reverse("console:maintenance_act", args=[maintenance.pk, "note"])),
    ]


def test_anonymous_and_unverified_staff_are_sent_to_log_in(client, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2))
    unverified = make_staff("uma", Role.EDITOR)
    half = type(client)()
    half.force_login(unverified)  # password given, second factor not yet
    for method, url in _urls(maintenance):
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("console:login")), url
        pending = getattr(half, method)(url)
        assert pending.status_code == 302
        assert pending["Location"].startswith(reverse("console:verify")), url
    assert maintenance.updates.count() == 1


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN, None])
def test_editors_and_admins_may_act_others_may_not(signed_in, imap, role):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2))
    client = signed_in(make_staff("someone", role))
    for method, url in _urls(maintenance)[:3]:
        assert getattr(client, method)(url).status_code == (200 if role else 403), url
    response = act(client, maintenance, "note", body="Checking in.")
    assert response.status_code == (302 if role else 403)
    assert maintenance.updates.count() == (2 if role else 1)


def test_a_stale_cancel_after_someone_started_the_work_is_caught_twice(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    seen = maintenance.version
    actions.start_maintenance(maintenance, author=make_staff("olav", Role.EDITOR))
    client = signed_in(editor)
    url = reverse("console:maintenance_act", args=[maintenance.pk, "cancel"])
    stale = client.post(url, {"cancel-version": seen, "cancel-body": "Not needed after all."})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "olav started the maintenance" in html and "Not needed after all." in html
    # The cancel form stays on the page with the text, though the status no longer allows it.
    assert 'id="act-cancel"' in html and 'id="act-postpone"' in html
    version = re.search(r'name="cancel-version" value="(\d+)"', html)[1]
    again = client.post(url, {"cancel-version": version, "cancel-body": "Not needed after all."})
    assert again.status_code == 400
    assert "cannot become cancelled" in again.content.decode()
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS


# Every act is previewed the way the schedule form is: page entry, email subject, posts.

TITLE = "Database upgrade"


def _in_progress(maintenance: Maintenance) -> Maintenance:
    actions.start_maintenance(maintenance)
    return maintenance


def preview(client, maintenance: Maintenance, name: str, **fields: object):
    maintenance.refresh_from_db()
    data = {f"{name}-version": maintenance.version, f"{name}-channels": ["email"]}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    url = reverse("console:maintenance_act_preview", args=[maintenance.pk, name])
    return client.post(url, data, HTTP_HX_REQUEST="true")


def kept(maintenance: Maintenance) -> tuple[object, ...]:
    maintenance.refresh_from_db()
    return (
        maintenance.status,
        maintenance.version,
        maintenance.scheduled_start,
        maintenance.updates.count(),
        Notice.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("name", "prepare", "fields", "status", "shown"),
    [
        ("start", lambda m: m, {"body": ""}, "in progress", "The maintenance has started."),
        (
            "note",
            _in_progress,
            {"body": "UPDATE 07:19 CET: Import **started**."},
            "in progress",
            "Import <strong>started</strong>.",
        ),
        ("verify", _in_progress, {"body": "Checking the servers."}, "verifying", "Checking"),
        ("complete", _in_progress, {"body": ""}, "completed", "The maintenance has been"),
        ("postpone", _in_progress, {"body": "Reverted for now."}, "postponed", "Reverted"),
        (
            "reschedule",
            lambda m: m,
            {
                "scheduled_start": site_local(ahead(6)),
                "scheduled_end": site_local(ahead(6, 2)),
                "body": "Moved to next week.",
            },
            "rescheduled",
            timefmt.window_everywhere(ahead(6), ahead(6, 2))[0],
        ),
        ("cancel", lambda m: m, {"body": "Not needed after all."}, "cancelled", "Not needed"),
    ],
)
def test_every_act_is_previewed_as_it_would_be_published_and_nothing_is_kept(
    signed_in, editor, imap, settings, name, prepare, fields, status, shown
):
    maintenance = prepare(
        schedule_maintenance(TITLE, start=ahead(1), end=ahead(1, 2), components=[imap])
    )
    before = kept(maintenance)

    response = preview(signed_in(editor), maintenance, name, **fields)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Fix these" not in html and 'class="errors"' not in html, html
    # The mail's subject stays the window's title (one thread); the short posts say the status.
    assert f"[{settings.SITE_NAME}] {TITLE}</code>" in html
    assert f"{TITLE}: {status} (" in html
    assert "/280" in html and "/500" in html  # X and Mastodon, with their counters
    assert shown in html
    assert kept(maintenance) == before


def test_the_detail_page_wires_a_preview_under_every_act_it_offers(signed_in, editor, imap):
    maintenance = _in_progress(schedule_maintenance(start=ahead(1), end=ahead(1, 2)))
    page = signed_in(editor).get(reverse("console:maintenance", args=[maintenance.pk]))
    html = page.content.decode()
    offered = set(re.findall(r'id="act-(\w+)"', html))
    assert offered == {"note", "verify", "complete", "postpone"}
    for name in offered:
        url = reverse("console:maintenance_act_preview", args=[maintenance.pk, name])
        assert f'id="preview-{name}"' in html and f'data-hx-post="{url}"' in html, name
    assert html.count('id="preview-') == len(offered)


def test_every_act_offers_the_channels_of_the_notice_it_records():
    for act in ACTS.values():
        assert act.form.kind == NoticeKind.for_maintenance(act.target), act.name


def test_a_preview_shows_the_draft_with_its_blanks_but_publishing_refuses_them(
    signed_in, editor, imap
):
    maintenance = schedule_maintenance(TITLE, start=ahead(1), end=ahead(1, 2))
    client = signed_in(editor)

    shown = preview(client, maintenance, "cancel", body="Cancelled; see {window}.")
    stamp_only = preview(client, _in_progress(maintenance), "note", body="UPDATE 07:19 CET: ")

    assert shown.status_code == 200 and b"see {window}." in shown.content
    assert stamp_only.status_code == 200 and b"UPDATE 07:19 CET:" in stamp_only.content
    assert b"Fix these" not in stamp_only.content
    refused = act(client, maintenance, "note", body="UPDATE 07:19 CET: ")
    assert b"Write the note after the time stamp" in refused.content
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert [u.status for u in maintenance.timeline()] == ["in_progress", "scheduled"]


def test_a_preview_says_what_publishing_would_refuse_and_never_fails(signed_in, editor, imap):
    maintenance = schedule_maintenance(TITLE, start=ahead(1), end=ahead(1, 2), components=[imap])
    seen = maintenance.version
    actions.post_maintenance_note(maintenance, body="Someone else was quicker.")
    client = signed_in(editor)
    before = kept(maintenance)
    url = reverse("console:maintenance_act_preview", args=[maintenance.pk, "note"])

    not_yet = preview(client, maintenance, "postpone", body="Reverted.")
    empty = preview(client, maintenance, "cancel", body="   ")
    backwards = preview(
        client,
        maintenance,
        "reschedule",
        scheduled_start=site_local(ahead(4)),
        scheduled_end=site_local(ahead(3)),
        body="Moved.",
    )
    garbled = client.post(url, {"note-version": "banana", "note-body": "Hello"})
    stale = client.post(url, {"note-version": seen, "note-body": "Hello"})
    unknown = client.post(reverse("console:maintenance_act_preview", args=[maintenance.pk, "x"]))
    missing = client.post(reverse("console:maintenance_act_preview", args=[999999, "note"]))

    assert not_yet.status_code == 200 and b"cannot become postponed" in not_yet.content
    assert empty.status_code == 200 and b"Fix these to see a preview" in empty.content
    assert b"must end after it starts" in backwards.content
    assert garbled.status_code == 200 and b"Fix these to see a preview" in garbled.content
    assert stale.status_code == 200 and b"changed by someone else" in stale.content
    assert (unknown.status_code, missing.status_code) == (404, 404)
    assert client.get(url).status_code == 405
    assert kept(maintenance) == before


def test_an_act_form_can_be_built_for_preview_without_data(imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2))
    for act_ in ACTS.values():
        form = act_form(act_, maintenance, previewing=True)
        assert form.previewing and not form.is_bound
