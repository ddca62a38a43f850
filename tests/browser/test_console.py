"""The staff console in Chromium: sign in with a password and a TOTP code, open an incident,
post updates from the dashboard's card, resolve, and see it all on the public side.

Celery runs eagerly in the live server's thread and mail goes to Django's locmem outbox, so
a publish has delivered (or failed) by the time its page answers: the deliveries page is
checked against the ledger's rows. Screenshots go to test-artifacts/console-*.png.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from actions import advance_maintenance
from console.roles import Role
from incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
)
from notifier.models import Delivery, Notice, NoticeKind, Subscriber
from tests.console.conftest import PASSWORD, current_code, make_staff
from tests.factories import OSLO, open_incident
from tests.notifier.conftest import Inbox, inbox  # noqa: F401 - the SMTP sink fixture

pytestmark = pytest.mark.browser

PHONE = 390
ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = "IMAP logins fail for some users"
NORWEGIAN_TITLE = "IMAP-innlogging feiler for noen brukere"
UPDATES = [
    ("Identified", "UPDATE: The attackers changed tactics; we are filtering their traffic."),
    ("Monitoring", "UPDATE: Logins work again. We are watching the mail servers closely."),
    ("Monitoring", "UPDATE: No failed logins for thirty minutes. Next update within the hour."),
]
RESOLVED = "UPDATE: Resolved. IMAP logins have worked for two hours."


@pytest.fixture(autouse=True)
def _eager_delivery(settings, inbox: Inbox, eager_celery: None) -> None:  # noqa: F811
    """Deliver inside the publishing request, over SMTP to `inbox`; X, Mastodon, mirrors off."""
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.MIRROR_LOCAL_DIR = settings.MIRROR_RSYNC_TARGET = settings.MIRROR_S3_BUCKET = ""


def sign_in(page: Page, user) -> None:
    """Password, then the current TOTP code, through the console's own forms."""
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/\?next=%2Fstaff%2F$"))
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/staff/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor code")
    page.get_by_label("Code from your authenticator app").fill(current_code(user))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Active incidents")).to_be_visible()


def card(page: Page, incident_id: int) -> Locator:
    return page.locator(f"#incident-{incident_id}")


def post_from_card(page: Page, incident_id: int, status: str, text: str) -> None:
    """The dashboard's two clicks plus the text: "Post update", write, "Post update"."""
    page.wait_for_load_state()  # htmx has wired the page up (it does on DOMContentLoaded)
    box = card(page, incident_id)
    box.get_by_role("button", name="Post update", exact=True).click()
    form = box.locator("form.update-form")
    expect(form).to_be_visible()
    form.get_by_label("Status", exact=True).select_option(label=status)
    form.get_by_label("Message", exact=True).fill(text)
    form.get_by_role("button", name="Post update", exact=True).click()
    # The answer replaces the whole card: the form is gone, the new text is its excerpt.
    expect(box.locator("form")).to_have_count(0)
    expect(box.locator(".excerpt")).to_have_text(text)
    expect(box.locator(".pill").first).to_have_text(status)


def recent_deliveries(page: Page) -> Locator:
    return page.locator("#recent-deliveries tbody tr")


def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at a {width} px viewport"


def test_incident_from_open_to_resolved_reaches_page_feed_and_deliveries(
    page: Page,
    artifacts: Path,
    inbox: Inbox,  # noqa: F811
) -> None:
    editor = make_staff("erika", Role.EDITOR)
    subscriber = Subscriber.objects.create(email="reader@example.com")
    imap = Component.objects.get(name="IMAP")
    sign_in(page, editor)
    page.screenshot(path=artifacts / "console-dashboard.png", full_page=True)

    # Open an incident: the live preview shows the page entry, the subject and X's counter.
    page.get_by_role("link", name="Open an incident").first.click()
    expect(page).to_have_url(re.compile(r"/staff/incidents/new/$"))
    form = page.locator("#incident-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label("Impact", exact=True).select_option("major")
    form.get_by_label("IMAP", exact=True).select_option(ComponentStatus.MAJOR_OUTAGE)
    form.get_by_label("Message", exact=True).fill("We are investigating failed IMAP logins.")
    # One preview per language: the Norwegian shows the original until a title is given.
    preview = page.locator("#preview")
    titles = preview.locator(".preview-entry .incident-title")
    expect(titles).to_have_text([TITLE, TITLE])
    form.get_by_label("Title (Norwegian Bokmal)", exact=True).fill(NORWEGIAN_TITLE)
    expect(titles).to_have_text([TITLE, NORWEGIAN_TITLE])
    expect(preview.locator(".email-subject")).to_contain_text([TITLE, NORWEGIAN_TITLE])
    x_heading = preview.get_by_role("heading", name=re.compile(r"^X \(Twitter\) \d"))
    expect(x_heading).to_be_visible()
    counter = x_heading.locator("small").first
    expect(counter).to_have_text(re.compile(r"^\d+/280$"))
    used = int(counter.inner_text().split("/")[0])
    x_text = x_heading.locator("xpath=following-sibling::pre[1]")
    assert TITLE in x_text.inner_text() and 0 < used <= 280
    assert not Incident.objects.filter(title=TITLE).exists(), "the preview must not publish"
    page.screenshot(path=artifacts / "console-open-incident-preview.png", full_page=True)
    form.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    expect(page.locator(".flash")).to_contain_text(TITLE)
    incident = Incident.objects.get(title=TITLE)
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.MAJOR_OUTAGE

    # Three updates from the dashboard's card, then resolve the same way.
    page.locator(".site-header .site-name").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    sent = recent_deliveries(page).filter(has_text=TITLE)
    expect(sent).to_have_count(1)
    for count, (status, text) in enumerate(UPDATES, start=2):
        post_from_card(page, incident.pk, status, text)
        # Nothing was left to send, so nothing polls: the card's post itself refreshes the block.
        expect(sent).to_have_count(count)
        expect(sent.first).to_contain_text("Incident updated")
        expect(sent.first.locator(".tallies")).to_contain_text(re.compile(r"email:\s+1 sent"))
    page.screenshot(path=artifacts / "console-dashboard-updated.png", full_page=True)

    # While it is open, the public status page leads with the latest update.
    page.goto("/")
    active = page.get_by_role("region", name="Active incidents")
    expect(active.get_by_role("link", name=TITLE)).to_be_visible()
    expect(active).to_contain_text(UPDATES[-1][1])

    page.goto("/staff/")
    post_from_card(page, incident.pk, "Resolved", RESOLVED)
    page.reload()
    expect(card(page, incident.pk)).to_have_count(0)
    incident.refresh_from_db()
    imap.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.updates.count() == 1 + len(UPDATES) + 1
    assert imap.status == ComponentStatus.OPERATIONAL

    # The public side: the status page lists it resolved, its page has every update.
    page.goto("/")
    recent = page.get_by_role("region", name=re.compile(r"^Past \d+ days$"))
    entry = recent.locator("article.incident").filter(has=page.get_by_role("link", name=TITLE))
    expect(entry).to_have_count(1)
    expect(entry.locator(".pill")).to_have_text("Resolved")
    entry.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
    timeline = page.locator("ol.timeline > li.update")
    expect(timeline).to_have_count(5)
    texts = timeline.all_inner_texts()
    for position, text in enumerate([RESOLVED, *[t for _, t in reversed(UPDATES)]]):
        assert text in texts[position], (position, text, texts)
    page.screenshot(path=artifacts / "console-public-incident.png", full_page=True)

    # The Atom feed: the incident's entry carries every update.
    feed = page.request.get("/feed.atom")
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())
    entries = [
        e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title", "").startswith(TITLE)
    ]
    assert len(entries) == 1, [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    content = "".join((entries[0].findtext(f"{ATOM}{tag}") or "") for tag in ("summary", "content"))
    for text in [RESOLVED, *[t for _, t in UPDATES]]:
        assert text.split(": ", 1)[1] in content, text

    # The deliveries page for the resolution shows the ledger's counts.
    notice = Notice.objects.get(incident=incident, kind=NoticeKind.INCIDENT_RESOLVED)
    rows = Counter(Delivery.objects.filter(notice=notice).values_list("channel", "state"))
    assert rows, "the resolution was delivered to no channel"
    assert rows[("email", "sent")] == 1, rows  # eager: delivered inside the publish
    # One mail per publish (opened, the updates, resolved), in one thread.
    mails = [m for m in inbox.to(subscriber.email) if TITLE in m["Subject"]]
    assert len(mails) == 1 + len(UPDATES) + 1, [m["Subject"] for m in inbox.messages]
    page.goto("/staff/")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Deliveries").click()
    resolved_link = (
        page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Incident resolved")
    )
    resolved_link.click()
    expect(page).to_have_url(re.compile(rf"/staff/deliveries/{notice.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    for channel in {channel for channel, _ in rows}:
        row = page.locator("table.counts tbody tr").filter(
            has=page.locator("th", has_text=re.compile(rf"^{re.escape(channel)}$"))
        )
        cells = row.locator("td").all_inner_texts()
        states = ["pending", "sending", "retrying", "sent", "failed"]
        # The last column counts what the SMS caps held back (failed rows of their own).
        expected = [rows[(channel, s)] for s in states] + [0]
        assert [int(c) for c in cells] == expected, (channel, cells)
    expect(page.locator(".in-flight")).to_have_text("Done: nothing left to send.")
    page.screenshot(path=artifacts / "console-deliveries.png", full_page=True)


@pytest.fixture
def phone(browser: Browser, site: str, requested_urls: list[str]) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=site,
        viewport={"width": PHONE, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Oslo",
    )
    context.set_default_timeout(10_000)
    context.on("request", lambda request: requested_urls.append(request.url))
    yield context
    context.close()
    foreign = [url for url in requested_urls if not url.startswith((site, "data:", "about:"))]
    assert not foreign, f"pages requested URLs off the live server {site}: {foreign}"


def test_posting_an_update_on_a_phone(phone: BrowserContext, artifacts: Path) -> None:
    editor = make_staff("pia", Role.EDITOR)
    incident = open_incident(TITLE, components={Component.objects.get(name="IMAP"): "major_outage"})
    page = phone.new_page()
    sign_in(page, editor)
    no_horizontal_scroll(page, PHONE)

    box = card(page, incident.pk)
    box.get_by_role("button", name="Post update", exact=True).tap()
    form = box.locator("form.update-form")
    expect(form).to_be_visible()
    message = form.get_by_label("Message", exact=True)
    expect(message).to_be_visible()
    # Usable: the text box and the send button fit inside the screen, side to side.
    for element in (message, form.get_by_role("button", name="Post update", exact=True)):
        frame = element.bounding_box()
        assert frame is not None and frame["x"] >= 0 and frame["x"] + frame["width"] <= PHONE
        assert frame["height"] >= 44, frame  # a finger-sized target
    no_horizontal_scroll(page, PHONE)
    page.screenshot(path=artifacts / "console-390-update-form.png", full_page=True)
    message.fill(UPDATES[0][1])
    form.get_by_role("button", name="Post update", exact=True).tap()
    expect(box.locator(".excerpt")).to_have_text(UPDATES[0][1])
    expect(recent_deliveries(page).first).to_contain_text("Incident updated")
    no_horizontal_scroll(page, PHONE)
    page.screenshot(path=artifacts / "console-390-dashboard-deliveries.png", full_page=True)

    for address in ("/staff/incidents/new/", "/staff/maintenance/new/", "/staff/deliveries/"):
        page.goto(address)
        no_horizontal_scroll(page, PHONE)
    page.goto(f"/staff/incidents/{incident.pk}/")
    no_horizontal_scroll(page, PHONE)
    page.screenshot(path=artifacts / "console-390-incident.png", full_page=True)
    assert incident.updates.filter(body=UPDATES[0][1], author=editor).count() == 1


def test_a_next_update_promised_with_one_tap_on_a_phone(phone: BrowserContext) -> None:
    editor = make_staff("noor", Role.EDITOR)
    incident = open_incident(TITLE)
    page = phone.new_page()
    sign_in(page, editor)

    box = card(page, incident.pk)
    box.get_by_role("button", name="Post update", exact=True).tap()
    form = box.locator("form.update-form")
    expect(form.get_by_role("radio", name="None")).to_be_checked()
    chip = form.locator("label.chip", has_text="30 min")
    frame = chip.locator("span").bounding_box()
    assert frame is not None and frame["height"] >= 44 and frame["x"] + frame["width"] <= PHONE
    chip.tap()
    expect(form.get_by_role("radio", name="30 min")).to_be_checked()
    no_horizontal_scroll(page, PHONE)
    form.get_by_label("Message", exact=True).fill(UPDATES[0][1])
    form.get_by_role("button", name="Post update", exact=True).tap()

    expect(box.locator(".excerpt")).to_have_text(UPDATES[0][1])
    expect(box).to_contain_text("Next update promised by")
    promised = incident.updates.get(body=UPDATES[0][1]).next_update_by
    assert timedelta(minutes=29) < promised - timezone.now() <= timedelta(minutes=30)


def test_posting_an_update_with_the_keyboard_alone(page: Page, artifacts: Path) -> None:
    editor = make_staff("kai", Role.EDITOR)
    incident = open_incident(TITLE)
    sign_in(page, editor)
    button = card(page, incident.pk).get_by_role("button", name="Post update", exact=True)

    def tab_to(target: Locator, limit: int = 60) -> int:
        for presses in range(1, limit + 1):
            page.keyboard.press("Tab")
            if target.evaluate("element => element === document.activeElement"):
                return presses
        raise AssertionError(f"{limit} presses of Tab never reached {target}")

    tab_to(button)
    page.keyboard.press("Enter")
    message = (
        card(page, incident.pk).locator("form.update-form").get_by_label("Message", exact=True)
    )
    # The button went away with the swap: focus must land in the message, ready to type.
    expect(message).to_be_focused()
    page.keyboard.type(UPDATES[0][1])
    page.keyboard.press("Control+Enter")
    expect(card(page, incident.pk).locator(".excerpt")).to_have_text(UPDATES[0][1])
    expect(card(page, incident.pk).locator("form")).to_have_count(0)
    page.screenshot(path=artifacts / "console-keyboard.png")
    assert incident.updates.filter(body=UPDATES[0][1]).count() == 1


MAINTENANCE = "Replacing the mail database servers"
ANNOUNCEMENT = """\
We will replace the database servers behind IMAP in the window above.

## What you can do

Check your email well before or after the window.

## What we are doing

Moving the mail database to new, faster servers.

## Why it is being done

Reliability: the old servers are at the end of their life.
"""


def site_local(moment: datetime) -> str:
    """A datetime-local input's value, on the site's wall clock (Oslo)."""
    return moment.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M")


def act(page: Page, summary: str, button: str, fill: dict[str, str] | None = None) -> None:
    """Open one of the maintenance page's acts, fill it, press its button."""
    details = page.locator("details.act").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(summary)}\s*$"))
    )
    details.locator("summary").click()
    # Opening it asks for its preview (the act, run and rolled back): a person reads it before
    # pressing the button, and the test's in-memory SQLite refuses a write beside its
    # transaction at once (a table lock) where a database file would wait its turn.
    expect(details.locator("section[data-hx-post]")).not_to_be_empty()
    for label, value in (fill or {}).items():
        details.get_by_label(label, exact=True).fill(value)
    details.get_by_role("button", name=button, exact=True).click()


def status_pill(page: Page) -> Locator:
    return page.locator("main p.meta .pill").first


def test_maintenance_scheduled_started_postponed_rescheduled_and_completed(
    page: Page,
    artifacts: Path,
    inbox: Inbox,  # noqa: F811
) -> None:
    editor = make_staff("mads", Role.EDITOR)
    subscriber = Subscriber.objects.create(email="reader@example.com")
    tomorrow = (timezone.now().astimezone(OSLO) + timedelta(days=1)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    first = (tomorrow, tomorrow + timedelta(hours=2))
    second = (tomorrow + timedelta(days=7), tomorrow + timedelta(days=7, hours=3))
    sign_in(page, editor)

    # Schedule: the window is previewed in the extra zones before anything is published.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Maintenance").click()
    page.get_by_role("link", name=re.compile("^Schedule")).first.click()
    expect(page).to_have_url(re.compile(r"/staff/maintenance/new/$"))
    form = page.locator("#maintenance-form")
    form.get_by_label("Title", exact=True).fill(MAINTENANCE)
    form.get_by_label("Starts", exact=True).fill(site_local(first[0]))
    form.get_by_label("Ends", exact=True).fill(site_local(first[1]))
    form.get_by_label("IMAP", exact=True).check()
    form.get_by_label("Announcement", exact=True).fill(ANNOUNCEMENT)
    zones = form.locator(".window-preview .window-zones")
    expect(zones).to_contain_text(f"{first[0].astimezone(UTC):%H:%M}")
    expect(zones).to_contain_text("UTC")
    expect(page.locator("#preview .preview-entry").first).to_contain_text(MAINTENANCE)
    page.screenshot(path=artifacts / "console-maintenance-new.png", full_page=True)
    form.get_by_role("button", name="Schedule and announce").click()
    expect(page).to_have_url(re.compile(r"/staff/maintenance/\d+/$"))
    maintenance = Maintenance.objects.get(title=MAINTENANCE)
    assert (maintenance.scheduled_start, maintenance.scheduled_end) == first
    assert list(maintenance.components.values_list("name", flat=True)) == ["IMAP"]
    expect(status_pill(page)).to_have_text("Scheduled")

    page.goto("/")
    upcoming = page.get_by_role("region", name="Scheduled maintenance")
    expect(upcoming.get_by_role("link", name=MAINTENANCE)).to_be_visible()

    # Started early by hand, then postponed (the work reverted), then a new window.
    page.goto(f"/staff/maintenance/{maintenance.pk}/")
    act(page, "Start now", "Start maintenance")
    expect(status_pill(page)).to_have_text("In progress")
    page.goto("/")
    now = page.get_by_role("region", name="Maintenance in progress")
    expect(now.get_by_role("link", name=MAINTENANCE)).to_be_visible()

    page.goto(f"/staff/maintenance/{maintenance.pk}/")
    act(page, "Postpone (work reverted)", "Postpone")
    expect(status_pill(page)).to_have_text("Postponed")
    page.goto("/")
    expect(
        page.get_by_role("region", name="Scheduled maintenance").locator("article.maintenance")
    ).to_contain_text("Postponed: a new time will be announced.")

    page.goto(f"/staff/maintenance/{maintenance.pk}/")
    act(
        page,
        "Reschedule to a new window",
        "Reschedule",
        {"Starts": site_local(second[0]), "Ends": site_local(second[1])},
    )
    expect(status_pill(page)).to_have_text("Rescheduled")
    maintenance.refresh_from_db()
    assert (maintenance.scheduled_start, maintenance.scheduled_end) == second
    assert maintenance.earlier_windows() == [first]
    page.screenshot(path=artifacts / "console-maintenance-rescheduled.png", full_page=True)

    # The new window starts and ends by itself (the periodic task, its clock moved on).
    assert [u.maintenance_id for u in advance_maintenance(now=second[0] + timedelta(minutes=1))]
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert [u.maintenance_id for u in advance_maintenance(now=second[1] + timedelta(minutes=1))]
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED

    # The public page: completed, the new window, the earlier one, every step in the timeline.
    page.goto(f"/maintenance/{maintenance.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(MAINTENANCE)
    expect(page.locator("dl.facts .pill")).to_have_text("Completed")
    expect(page.locator("dl.facts ul.earlier > li")).to_have_count(1)
    heads = page.locator("ol.timeline > li.update .update-head strong").all_inner_texts()
    assert heads == [
        "Completed",
        "In progress",
        "Rescheduled",
        "Postponed",
        "In progress",
        "Scheduled",
    ], heads
    page.screenshot(path=artifacts / "console-maintenance-public.png", full_page=True)

    # The notices: one per step, each mailed to the subscriber; the console lists them.
    kinds = list(
        Notice.objects.filter(maintenance=maintenance).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [
        NoticeKind.MAINTENANCE_SCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_POSTPONED,
        NoticeKind.MAINTENANCE_RESCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_COMPLETED,
    ], kinds
    mails = [m for m in inbox.to(subscriber.email) if MAINTENANCE in m["Subject"]]
    assert len(mails) == len(kinds), [m["Subject"] for m in inbox.messages]
    page.goto(f"/staff/maintenance/{maintenance.pk}/")
    listed = page.locator("table.grid tbody tr th a").filter(has_text=re.compile("^Maintenance "))
    expect(listed).to_have_count(len(kinds))
    expect(page.get_by_text("nothing more to do")).to_be_visible()
