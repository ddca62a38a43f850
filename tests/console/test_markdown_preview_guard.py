"""The console's Markdown preview uses the renderer's guard, and says when it did."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.forms.fields import MAX_BODY

pytestmark = pytest.mark.django_db


def test_the_console_preview_says_the_text_will_be_shown_plain(signed_in, editor):
    client = signed_in(editor)
    response = client.post(reverse("console:markdown_preview"), {"body": "[" * MAX_BODY})

    assert response.status_code == 200
    assert "Shown as plain text" in response.content.decode()
    normal = client.post(reverse("console:markdown_preview"), {"body": "*fine*"})
    assert "Shown as plain text" not in normal.content.decode()
