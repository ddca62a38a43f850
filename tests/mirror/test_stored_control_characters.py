"""A row stored with a control character (before they were refused) does not stop the mirror."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from incidents.models import Incident, IncidentUpdate
from notifier.mirror.site import file_for
from tests.factories import build_site
from tests.mirror.conftest import Mirror

pytestmark = [pytest.mark.django_db]


def test_a_full_build_goes_on_and_its_feeds_leave_the_character_out(mirror: Mirror):
    site = build_site()
    Incident.objects.filter(pk=site.active.pk).update(title="IMAP \x1b[31mdown")
    IncidentUpdate.objects.filter(incident=site.active).update(body="log \x1b[31mERROR")

    call_command("build_mirror", stdout=io.StringIO())

    for url in ("/feed.atom", "/feed.rss"):
        feed = mirror.file(file_for(url)).read_bytes()
        assert b"IMAP [31mdown" in feed, url
        assert b"\x1b" not in feed, url
