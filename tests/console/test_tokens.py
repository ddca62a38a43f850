"""API tokens in the console (admins): list, issue with the secret shown once, disable,
enable, delete after a confirmation; each act audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_issues_a_token_that_works_and_is_shown_this_once(signed_in, admin_user, editor):
    client = signed_in(admin_user)

    page = client.post(
        reverse("console:token_new"),
        {"name": "Nagios", "scopes": ["incidents", "read"], "user": editor.pk},
    )

    assert page.status_code == 200
    html = page.content.decode()
    token = ApiToken.objects.get()
    secret = html.split('<code class="secret">', 1)[1].split("</code>", 1)[0]
    assert ApiToken.authenticate(secret) == token
    assert (token.name, token.scopes, token.created_by) == ("Nagios", ["incidents", "read"], editor)
    assert "no-store" in page["Cache-Control"]
    listing = client.get(reverse("console:tokens")).content.decode()
    assert "Nagios" in listing and f"sp_{token.prefix}_…" in listing
    assert secret not in listing
    entry = AuditEntry.objects.get(action="api_token.created")
    assert entry.actor == admin_user and "token_hash" not in entry.after


def test_a_token_without_an_author_or_scopes(signed_in, admin_user):
    client = signed_in(admin_user)
    refused = client.post(reverse("console:token_new"), {"name": "  ", "scopes": []})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Name the token after who or what uses it." in html
    assert "Tick at least one thing the token may do." in html
    unknown = client.post(reverse("console:token_new"), {"name": "x", "scopes": ["root"]})
    assert unknown.status_code == 400 and "root is not one of" in unknown.content.decode()
    assert not ApiToken.objects.exists()

    client.post(reverse("console:token_new"), {"name": "Dashboard", "scopes": ["read"]})
    assert ApiToken.objects.get().created_by is None


def test_the_list_shows_last_use_and_last_refusal(signed_in, admin_user):
    token, _ = ApiToken.issue("Nagios", ["read"])
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now(),
        last_refused_at=timezone.now(),
        last_refusal="POST /api/staff/v1/incidents: lacks the 'incidents' scope.",
    )
    html = signed_in(admin_user).get(reverse("console:tokens")).content.decode()
    assert "lacks the &#x27;incidents&#x27; scope." in html
    assert "Enabled" in html


def test_disable_enable_and_delete_after_confirming(signed_in, admin_user):
    client = signed_in(admin_user)
    token, secret = ApiToken.issue("Nagios", ["read"])

    assert client.get(reverse("console:token_disable", args=[token.pk])).status_code == 405
    client.post(reverse("console:token_disable", args=[token.pk]))
    assert ApiToken.authenticate(secret) is None
    client.post(reverse("console:token_enable", args=[token.pk]))
    assert ApiToken.authenticate(secret) == token

    confirm = client.get(reverse("console:token_delete", args=[token.pk]))
    assert confirm.status_code == 200 and "Delete token" in confirm.content.decode()
    client.post(reverse("console:token_delete", args=[token.pk]))
    assert not ApiToken.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__startswith="api_token.").values_list("action", flat=True)
    ) == ["api_token.deleted", "api_token.enabled", "api_token.disabled"]


def test_editors_get_the_forbidden_page(signed_in, editor):
    client = signed_in(editor)
    for name in ("console:tokens", "console:token_new"):
        page = client.get(reverse(name))
        assert page.status_code == 403 and "needs the admin role" in page.content.decode()
    assert (
        client.post(reverse("console:token_new"), {"name": "x", "scopes": ["read"]}).status_code
        == 403
    )
    assert not ApiToken.objects.exists()


def test_deactivating_the_author_in_the_console_marks_their_tokens_refused(
    signed_in, admin_user, editor
):
    ApiToken.issue("Nagios", ["read"], created_by=editor)
    client = signed_in(admin_user)
    response = client.post(reverse("console:user_deactivate", args=[editor.pk]), follow=True)
    assert "their API tokens are refused" in response.content.decode()

    html = client.get(reverse("console:tokens")).content.decode()
    assert "its author's account is deactivated" in html
    assert "Enabled" not in html
