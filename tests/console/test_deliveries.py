"""Deliveries at a glance: sent, pending, retrying and failed per channel on the deliveries
list, the dashboard and a notice's page, kept up to date while anything is on its way."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import actions
from incidents.models import ComponentStatus, Incident
from notifier.models import (
    Delivery,
    DeliveryState,
    Expansion,
    Notice,
    NoticeKind,
    Subscriber,
    WebhookEndpoint,
)
from tests.factories import make_component
from tests.test_contrast import AA_NORMAL_TEXT, SITE_CSS, contrast

pytestmark = pytest.mark.django_db

STOP_POLLING = 286
LIST_TARGET = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "notices"}
DASHBOARD_TARGET = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "recent-deliveries"}


def quiet_incident(title: str, **fields: object) -> Incident:
    """An open incident that told nobody (so it has no notice of its own)."""
    return actions.open_incident(title=title, body="We are investigating.", channels=[], **fields)


def make_notice(channels: list[str], states: dict[str, list[str]], title: str = "") -> Notice:
    """A notice whose deliveries on each channel are in the given states, one row per state."""
    incident = quiet_incident(title or "IMAP logins fail")
    notice = Notice.objects.create(
        kind=NoticeKind.INCIDENT_OPENED, incident=incident, channels=channels
    )
    Delivery.objects.bulk_create(
        Delivery(notice=notice, channel=channel, target=f"{channel}-{n}", state=state)
        for channel, channel_states in states.items()
        for n, state in enumerate(channel_states)
    )
    return notice


@pytest.fixture
def mixed_notice(db) -> Notice:
    """Email: 3 sent, 2 pending, 1 being sent, 1 failed. Webhook: 1 sent, 1 retrying, 2 failed."""
    sent, pending, sending = DeliveryState.SENT, DeliveryState.PENDING, DeliveryState.SENDING
    retrying, failed = DeliveryState.RETRYING, DeliveryState.FAILED
    return make_notice(
        ["email", "webhook"],
        {
            "email": [sent, sent, sent, pending, pending, sending, failed],
            "webhook": [sent, retrying, failed, failed],
        },
    )


def tallies_of(html: str, notice: Notice) -> str:
    """The text of a notice's counts in a page: its row in a table, or the notice page's own."""
    row = re.search(
        rf'<tr><th scope="row"><a href="{reverse("console:notice", args=[notice.pk])}">'
        r".*?</tr>",
        html,
        re.S,
    )
    part = row.group(0) if row else html
    tallies = re.search(r'<ul class="tallies">(.*?)</ul>', part, re.S)
    assert tallies, f"no counts for notice {notice.pk}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", tallies.group(1))).split())


MIXED = "email: 1 failed 3 pending 3 sent webhook: 2 failed 1 retrying 1 sent"


@pytest.mark.parametrize(
    "url", [reverse("console:notices"), reverse("console:dashboard")], ids=["list", "dashboard"]
)
def test_a_list_shows_each_channels_sent_pending_retrying_and_failed(
    signed_in, editor, mixed_notice, url
):
    html = signed_in(editor).get(url).content.decode()

    assert tallies_of(html, mixed_notice) == MIXED
    # Failed stands out in red, and says so in words too.
    assert '<strong class="tally failed">2 failed</strong>' in html


def test_the_notice_page_shows_the_same_counts_and_its_live_part_too(
    signed_in, editor, mixed_notice
):
    client = signed_in(editor)
    page = client.get(reverse("console:notice", args=[mixed_notice.pk])).content.decode()
    poll = client.get(
        reverse("console:notice_counts", args=[mixed_notice.pk]), HTTP_HX_REQUEST="true"
    )

    assert tallies_of(page, mixed_notice) == MIXED
    assert 'data-hx-trigger="every 2s"' in page
    assert poll.status_code == 200
    assert tallies_of(poll.content.decode(), mixed_notice) == MIXED


def test_a_notice_that_all_failed_is_told_as_failed_not_as_done_quietly(signed_in, editor):
    notice = make_notice(["email"], {"email": [DeliveryState.FAILED] * 3})

    html = signed_in(editor).get(reverse("console:dashboard")).content.decode()

    assert tallies_of(html, notice) == "email: 3 failed"


def test_an_email_list_not_yet_expanded_is_pending_not_zero_sent(signed_in, editor):
    notice = make_notice(["email", "webhook"], {"webhook": [DeliveryState.SENT]})
    Expansion.objects.create(notice=notice, channel="email")
    client = signed_in(editor)

    for url in (reverse("console:notices"), reverse("console:dashboard")):
        html = client.get(url).content.decode()
        assert tallies_of(html, notice) == "email: list pending webhook: 1 sent"
        assert "0 sent" not in html
    detail = client.get(reverse("console:notice", args=[notice.pk])).content.decode()
    assert tallies_of(detail, notice) == "email: list pending webhook: 1 sent"

    # Half written: what is there is counted, and more is still to come.
    Delivery.objects.create(notice=notice, channel="email", target="1", state=DeliveryState.SENT)
    html = client.get(reverse("console:notices")).content.decode()
    assert tallies_of(html, notice) == "email: more pending 1 sent webhook: 1 sent"


def test_a_channel_with_nobody_to_tell_says_so(signed_in, editor):
    notice = make_notice(["email", "webhook"], {"webhook": [DeliveryState.SENT]})
    Expansion.objects.create(notice=notice, channel="email", done_at=timezone.now())

    html = signed_in(editor).get(reverse("console:notices")).content.decode()

    assert tallies_of(html, notice) == "email: no recipients webhook: 1 sent"


@pytest.mark.parametrize(
    ("url", "target"),
    [(reverse("console:notices"), LIST_TARGET), (reverse("console:dashboard"), DASHBOARD_TARGET)],
    ids=["list", "dashboard"],
)
def test_counts_refresh_while_anything_is_on_its_way_and_stop_when_all_is_final(
    signed_in, editor, url, target
):
    notice = make_notice(["webhook"], {"webhook": [DeliveryState.SENT, DeliveryState.RETRYING]})
    client = signed_in(editor)

    page = client.get(url).content.decode()
    poll = client.get(url, **target)
    assert "every 3s" in page
    assert poll.status_code == 200
    assert "<html" not in poll.content.decode()
    assert tallies_of(poll.content.decode(), notice) == "webhook: 1 retrying 1 sent"

    Delivery.objects.filter(state=DeliveryState.RETRYING).update(state=DeliveryState.FAILED)
    poll = client.get(url, **target)
    assert poll.status_code == STOP_POLLING
    assert "every 3s" not in poll.content.decode()
    assert tallies_of(poll.content.decode(), notice) == "webhook: 1 failed 1 sent"
    assert "every 3s" not in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("url", "headers", "rows"),
    [
        (reverse("console:notices"), {}, 30),
        (reverse("console:notices"), LIST_TARGET, 30),
        (reverse("console:dashboard"), DASHBOARD_TARGET, 10),
    ],
    ids=["list", "list-poll", "dashboard-poll"],
)
def test_the_counts_cost_the_same_queries_for_one_notice_or_thirty(
    signed_in, editor, django_assert_max_num_queries, url, headers, rows
):
    client = signed_in(editor)
    sent, pending = DeliveryState.SENT, DeliveryState.PENDING
    retrying, failed = DeliveryState.RETRYING, DeliveryState.FAILED
    make_notice(["email", "webhook"], {"email": [sent, failed], "webhook": [retrying]})
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, **headers).status_code == 200
    for n in range(29):
        notice = make_notice(
            ["email", "webhook"],
            {"email": [sent, pending], "webhook": [failed, sent]},
            title=f"Incident {n}",
        )
        Expansion.objects.create(notice=notice, channel="email")

    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url, **headers).content.decode()
    assert html.count('<ul class="tallies">') == rows


def test_posting_from_the_dashboard_card_refreshes_its_recent_deliveries(signed_in, editor):
    imap = make_component("IMAP")
    incident = quiet_incident(
        "IMAP logins fail", component_statuses={imap: ComponentStatus.MAJOR_OUTAGE}
    )
    Subscriber.objects.create(email="reader@example.com")
    client = signed_in(editor)
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert 'id="recent-deliveries"' in dashboard
    assert 'data-hx-trigger="deliveries-changed from:body' in dashboard
    assert "Nothing sent yet." in dashboard

    response = client.post(
        reverse("console:incident_update", args=[incident.pk]),
        {
            "inline": "1",
            "status": "identified",
            "body": "UPDATE 00:45 CET: we found the cause.",
            "version": incident.version,
            "channels": ["email"],
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "deliveries-changed" in response["HX-Trigger"]
    # What the event makes the dashboard's block ask for: the new notice, its list pending.
    refreshed = client.get(reverse("console:dashboard"), **DASHBOARD_TARGET)
    notice = Notice.objects.get(incident=incident)
    assert refreshed.status_code == 200
    assert tallies_of(refreshed.content.decode(), notice) == "email: list pending"
    assert "every 3s" in refreshed.content.decode()


def test_a_failed_post_from_the_card_triggers_no_refresh(signed_in, editor):
    incident = quiet_incident("IMAP logins fail")
    client = signed_in(editor)

    response = client.post(
        reverse("console:incident_update", args=[incident.pk]),
        {"inline": "1", "status": "identified", "body": "", "version": incident.version},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert not Notice.objects.exists()


CONSOLE_CSS = Path(__file__).resolve().parents[2] / "console" / "static" / "console" / "console.css"


def site_variables() -> dict[str, str]:
    """The light scheme's variables: the console keeps its light forms (no dark scheme)."""
    light = SITE_CSS.read_text().split("@media (prefers-color-scheme: dark)")[0]
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", light))


def tally_colours() -> dict[str, tuple[str, str]]:
    """(text, background) of each `.tally` kind, with the site's variables resolved."""
    variables = site_variables()
    rules = dict(re.findall(r"^\.tally(\.[\w-]+)?\s*\{([^}]*)\}", CONSOLE_CSS.read_text(), re.M))

    def value(body: str, prop: str) -> str | None:
        found = re.search(rf"(?:^|;|\s){prop}\s*:\s*([^;]+);", body)
        return (
            variables.get(found.group(1).strip()[4:-1], found.group(1).strip()) if found else None
        )

    base_background = value(rules[""], "background") or variables["--bg"]
    return {
        kind.lstrip("."): (value(body, "color"), value(body, "background") or base_background)
        for kind, body in rules.items()
        if kind
    }


def test_every_delivery_state_colour_is_readable_on_its_own_background_and_the_pages():
    colours = tally_colours()
    assert set(colours) == {"failed", "retrying", "pending", "sent", "none", "held-back"}
    page_backgrounds = {site_variables()["--bg"], site_variables()["--bg-soft"]}
    for kind, (text, background) in colours.items():
        assert contrast(text, background) >= AA_NORMAL_TEXT, (kind, text, background)
        # The pill's border is drawn in its text colour (non-text contrast, 3:1).
        for page in page_backgrounds:
            assert contrast(text, page) >= 3, (kind, text, page)


def test_a_component_status_change_is_listed_by_the_components_name(signed_in, editor):
    WebhookEndpoint.objects.create(url="https://hooks.example.com/status")
    smtp = make_component("SMTP")
    actions.set_component_status(smtp, ComponentStatus.MAJOR_OUTAGE)
    notice = Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED)
    client = signed_in(editor)

    listed = client.get(reverse("console:notices")).content.decode()
    page = client.get(reverse("console:notice", args=[notice.pk])).content.decode()

    assert '<td data-label="About">SMTP</td>' in listed
    assert "<h1>Component status changed: SMTP</h1>" in page
