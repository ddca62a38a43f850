"""Maintenance from the console: scheduled, started, postponed, rescheduled, completed.

A reader subscribed to every service gets a mail at each step; after the reschedule, the mail,
the calendar file and the maintenance page state the same new window in the same zones.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product
from tests.journeys.test_incident_journey import confirm_subscription

pytestmark = pytest.mark.browser

OSLO = ZoneInfo("Europe/Oslo")
READER = "all-services@example.net"
TITLE = "Replacing the IMAP database servers"
ANNOUNCEMENT = """\
We will replace the database servers behind IMAP in the window above.

## What you can do

Read and send mail before or after the window; webmail works throughout.

## What we are doing

Moving the mail database to new, faster servers.

## Why it is being done

Reliability: the old servers are at the end of their life.
"""


def site_local(moment: datetime) -> str:
    """A datetime-local input's value, on the site's wall clock."""
    return moment.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M")


def in_words(start: datetime, end: datetime, zone: ZoneInfo | type[UTC]) -> str:
    """'14:00–16:00 CET': how every page and mail names a window within one day."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)  # type: ignore[arg-type]
    return f"{local_start:%H:%M}–{local_end:%H:%M} {local_start.tzname()}"


def act(page: Page, summary: str, button: str, fill: dict[str, str] | None = None) -> None:
    """Open one of the maintenance page's acts, fill it, press its button."""
    details = page.locator("details.act").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(summary)}\s*$"))
    )
    details.locator("summary").click()
    for label, value in (fill or {}).items():
        details.get_by_label(label, exact=True).fill(value)
    details.get_by_role("button", name=button, exact=True).click()


def test_a_window_moves_and_every_mail_page_and_calendar_agree(
    product: Product, reader: Page, desk: Page, artifacts
) -> None:
    confirm_subscription(reader, product, READER, components=[])
    # Afternoons in Oslo: the same date in every extra zone (UTC, New York, Los Angeles).
    day = (datetime.now(OSLO) + timedelta(days=2)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    first = (day, day + timedelta(hours=2))
    second = (day + timedelta(days=7), day + timedelta(days=7, hours=3))

    sign_in(desk, create_staff(product, "planner", "editor"))
    desk.get_by_role("navigation", name="Console").get_by_role("link", name="Maintenance").click()
    desk.get_by_role("link", name=re.compile("^Schedule")).first.click()
    form = desk.locator("#maintenance-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label("Starts", exact=True).fill(site_local(first[0]))
    form.get_by_label("Ends", exact=True).fill(site_local(first[1]))
    form.get_by_label("IMAP", exact=True).check()
    form.get_by_label("Announcement", exact=True).fill(ANNOUNCEMENT)
    form.get_by_role("button", name="Schedule and announce").click()
    expect(desk).to_have_url(re.compile(r"/staff/maintenance/\d+/$"))
    window_id = int(re.search(r"/maintenance/(\d+)/$", desk.url)[1])

    act(desk, "Start now", "Start maintenance")
    expect(desk.locator("main p.meta .pill").first).to_have_text("In progress")
    act(desk, "Postpone (work reverted)", "Postpone")
    expect(desk.locator("main p.meta .pill").first).to_have_text("Postponed")
    act(
        desk,
        "Reschedule to a new window",
        "Reschedule",
        {"Starts": site_local(second[0]), "Ends": site_local(second[1])},
    )
    expect(desk.locator("main p.meta .pill").first).to_have_text("Rescheduled")

    # Scheduled, started, postponed, rescheduled: four mails after the confirmation, one thread.
    # Two workers send, so they may arrive in any order; the thread is in their headers.
    mails = [m for m in product.mails_to(READER, 5) if TITLE in m["Subject"]]
    assert len(mails) == 4, [m["Subject"] for m in mails]
    [opening] = [m for m in mails if m["In-Reply-To"] is None]
    assert all(m["In-Reply-To"] == opening["Message-ID"] for m in mails if m is not opening)
    texts = [m.get_body(("plain",)).get_content() for m in mails]
    [rescheduled] = [text for text in texts if text.startswith("Rescheduled: ")]
    site_words, utc_words = in_words(*second, OSLO), in_words(*second, UTC)
    new_york = in_words(*second, ZoneInfo("America/New_York"))
    for words in (site_words, utc_words, new_york):
        assert words in rescheduled, (words, rescheduled)
    assert in_words(*first, OSLO) not in rescheduled.split("Window:")[1].split("\n")[0]

    # The calendar moves the same event (same UID, a higher SEQUENCE) to the new window.
    calendar = icalendar.Calendar.from_ical(reader.request.get("/maintenance.ics").body())
    [event] = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).endswith(TITLE)]
    assert event.decoded("DTSTART") == second[0] and event.decoded("DTEND") == second[1]
    assert int(event["SEQUENCE"]) > 0

    # The page says the same, with the instant in its markup for machines.
    reader.goto(f"/maintenance/{window_id}/?utm_medium=email")
    facts = reader.locator("main")
    for words in (site_words, utc_words, new_york):
        expect(facts).to_contain_text(words)
    stamps = reader.locator("main time").evaluate_all("els => els.map(e => e.dateTime)")
    assert any(
        datetime.fromisoformat(s.replace("Z", "+00:00")) == second[0] for s in stamps if s
    ), stamps

    # Started again and completed: two more mails, the page says Completed.
    desk.reload()
    act(desk, "Start now", "Start maintenance")
    expect(desk.locator("main p.meta .pill").first).to_have_text("In progress")
    act(desk, "Complete", "Complete maintenance")
    expect(desk.locator("main p.meta .pill").first).to_have_text("Completed")
    mails = product.mails_to(READER, 7)
    assert sum(TITLE in m["Subject"] for m in mails) == 6, [m["Subject"] for m in mails]
    reader.goto(f"/maintenance/{window_id}/")
    expect(reader.locator("dl.facts .pill")).to_have_text("Completed")
    reader.screenshot(path=artifacts / "maintenance-completed.png", full_page=True)
