"""Matrix in the console: offered when configured, said why when not, counted like the others."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from incidents.models import ComponentStatus
from notifier.models import Notice
from tests.factories import make_component
from tests.notifier.matrix_homeserver import TOKEN, Homeserver, homeserver

pytestmark = pytest.mark.django_db
__all__ = ["homeserver"]  # the fixture, used by name

OPS, STATUS = "!ops:example.org", "!status:example.org"


@pytest.fixture
def only_matrix(settings, homeserver: Homeserver):
    settings.MATRIX_HOMESERVER_URL = homeserver.url
    settings.MATRIX_ACCESS_TOKEN = TOKEN
    settings.MATRIX_ROOM_IDS = [OPS, STATUS]
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    return homeserver


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_publish_form_says_what_matrix_lacks_while_it_is_off(signed_in, editor, settings):
    settings.MATRIX_HOMESERVER_URL = "https://matrix.example.org"
    settings.MATRIX_ACCESS_TOKEN = ""
    settings.MATRIX_ROOM_IDS = []

    html = signed_in(editor).get(reverse("console:incident_new")).content.decode()

    checkbox = re.search(r'<input type="checkbox" name="channels" value="matrix"[^>]*>', html)
    assert checkbox and "disabled" in checkbox.group(0)
    assert "Matrix (off: Set MATRIX_ACCESS_TOKEN, MATRIX_ROOM_IDS in the environment.)" in (
        text_of(html)
    )


def test_a_publish_to_matrix_is_counted_per_room_with_the_refusal_staff_can_act_on(
    signed_in, editor, only_matrix, eager_celery, django_capture_on_commit_callbacks
):
    only_matrix.answers[OPS] = [(403, {"errcode": "M_FORBIDDEN", "error": "Not in room"})]
    imap = make_component("IMAP")
    client = signed_in(editor)
    form = client.get(reverse("console:incident_new")).content.decode()
    assert re.search(r'value="matrix" checked', form)  # on by default once configured

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("console:incident_new"),
            {
                "title": "IMAP logins fail",
                "impact": "major",
                "status": "investigating",
                f"component_{imap.pk}": ComponentStatus.MAJOR_OUTAGE,
                "body": "Logins over IMAP fail.",
                "channels": ["matrix"],
            },
        )

    notice = Notice.objects.get()
    assert notice.channels == ["matrix"]
    page = text_of(client.get(reverse("console:notice", args=[notice.pk])).content.decode())
    assert "matrix: 1 failed 1 sent" in page
    assert (
        "matrix → !ops:example.org: Matrix refused to post in !ops:example.org "
        "(403 M_FORBIDDEN: Not in room): the account must have joined the room" in page
    )
    listing = text_of(client.get(reverse("console:notices")).content.decode())
    assert "matrix: 1 failed 1 sent" in listing
    assert [event.room for event in only_matrix.timeline] == [STATUS]
