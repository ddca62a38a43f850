"""Plain-text mails, X and Mastodon posts carry real characters; HTML mails stay escaped.

Staff write markdown such as "AT&T users see > 5 min delays"; a text mail or a post
that shows "AT&amp;T" or "&gt; 5 min" reads as broken.
"""

from __future__ import annotations

import json

import pytest
import responses

import actions
from incidents.models import ComponentStatus
from notifier.models import Notice, Subscriber
from notifier.registry import channel_named
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db]

BODY = (
    'AT&T users see "slow" mail: **delays > 5 min** & bounces. '
    "Don't paste `<script>` into filters; <script>alert('x')</script>"
    "[status](https://status.runbox.com/?a=1&b=2)."
)
PLAIN = (
    'AT&T users see "slow" mail: delays > 5 min & bounces. '
    "Don't paste <script> into filters; status (https://status.runbox.com/?a=1&b=2)."
)


def open_outage():
    return actions.open_incident(
        title="Mail to AT&T delayed > 5 min",
        body=BODY,
        impact="major",
        component_statuses={make_component("SMTP"): ComponentStatus.PARTIAL_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def test_a_text_mail_has_real_characters_and_its_html_part_stays_escaped(
    inbox, eager_celery, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        open_outage()

    [mail] = inbox.to("reader@example.com")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert mail["Subject"] == "[Runbox Status] Mail to AT&T delayed > 5 min"
    assert text.startswith("Investigating: Mail to AT&T delayed > 5 min\r\n")
    assert f"INVESTIGATING 00:15 CET: {PLAIN}" in text
    for entity in ("&amp;", "&gt;", "&lt;", "&quot;", "&#x27;", "&#39;", "**", "alert("):
        assert entity not in text
    assert "AT&amp;T users see" in html and "delays &gt; 5 min" in html
    assert "<code>&lt;script&gt;</code>" in html
    assert "<script" not in html and "alert(" not in html


def test_x_and_mastodon_posts_have_real_characters(settings):
    settings.X_API_KEY = settings.X_API_SECRET = "key"
    settings.X_ACCESS_TOKEN = settings.X_ACCESS_TOKEN_SECRET = "token"
    notice = Notice.objects.get(incident=open_outage())
    x, mastodon = channel_named("x"), channel_named("mastodon")

    with responses.RequestsMock(assert_all_requests_are_fired=True) as x_api:
        x_api.post(
            "https://api.twitter.com/2/tweets", status=201, json={"data": {"id": "1", "text": ""}}
        )
        with x.session() as session:
            x.send(notice.deliveries.get(channel="x"), session)
        sent = json.loads(x_api.calls[0].request.body)["text"]

    for text in (sent, mastodon.text(notice)):
        assert text.startswith("Mail to AT&T delayed > 5 min: investigating (00:15 CET)\n")
        assert 'AT&T users see "slow" mail: delays > 5 min & bounces.' in text
        for entity in ("&amp;", "&gt;", "&lt;", "&quot;", "&#x27;", "**"):
            assert entity not in text
