"""Subjects and plain-text parts are text, not HTML: an ampersand stays an ampersand."""

from __future__ import annotations

import pytest

import actions
from notifier.models import Notice, NoticeKind
from notifier.notice_text import render_email
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


def test_a_headline_with_markup_characters_is_not_escaped_in_the_subject():
    incident = open_incident("IMAP & SMTP <slow>")
    notice = Notice.objects.create(
        kind=NoticeKind.INCIDENT_OPENED, incident=incident, incident_update=incident.updates.get()
    )
    email = render_email(notice)
    assert email.subject == "[Runbox Status] IMAP & SMTP <slow>"
    assert "IMAP & SMTP <slow>" in email.text
    assert "IMAP &amp; SMTP &lt;slow&gt;" in email.html


def test_a_post_title_with_an_ampersand(settings):
    post = actions.publish_post(title="Bedre & raskere", slug="bedre", body="Ny server.")
    notice = Notice.objects.create(kind=NoticeKind.POST_PUBLISHED, post=post)
    assert render_email(notice).subject.endswith("Bedre & raskere")
