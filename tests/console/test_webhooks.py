"""Webhook endpoints in the console (admins): list, register with the secret shown once,
disable, enable, delete after a confirmation; each act audited, bad addresses refused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import AuditEntry
from notifier.models import WebhookEndpoint
from tests.factories import make_component

pytestmark = pytest.mark.django_db


def test_an_admin_registers_a_webhook_and_sees_its_secret_this_once(signed_in, admin_user):
    client = signed_in(admin_user)
    imap = make_component("IMAP")
    make_component("Webmail")

    page = client.post(
        reverse("console:webhook_new"),
        {"url": " https://hooks.example.com/status ", "components": [imap.pk],
         "contact_email": "ops@example.com"},
    )  # fmt: skip

    assert page.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.owner) == ("https://hooks.example.com/status", "staff")
    assert list(endpoint.components.all()) == [imap]
    assert endpoint.secret in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    listing = client.get(reverse("console:webhooks")).content.decode()
    assert "https://hooks.example.com/status" in listing and "IMAP" in listing
    assert endpoint.secret not in listing
    entry = AuditEntry.objects.get(action="webhook.created")
    assert entry.actor == admin_user and entry.after["components"] == [imap.pk]
    assert "secret" not in entry.after


def test_the_list_shows_state_last_delivery_and_last_failure(signed_in, admin_user):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/a",
        last_success_at=timezone.now(),
        last_failure_at=timezone.now(),
        last_failure="503 Service Unavailable: try later",
        consecutive_failures=2,
    )
    WebhookEndpoint.objects.create(
        url="https://gone.example.com/b",
        disabled_at=timezone.now(),
        disabled_reason="Disabled because it answered 410 Gone.",
    )

    html = signed_in(admin_user).get(reverse("console:webhooks")).content.decode()

    assert "503 Service Unavailable: try later" in html
    assert "2 failed deliveries in a row" in html
    assert "<strong>Disabled</strong>" in html and "it answered 410 Gone" in html
    assert "All components" in html and "Never" in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the address the notices are sent to."),
        ("ftp://files.example.com/hook", "starts with https://"),
        ("https:///no-host", "Give the address a host"),
        ("javascript:alert(1)", "starts with https://"),
        ("http://[::1", "Give a web address"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_a_bad_address_is_refused_with_a_clear_error(signed_in, admin_user, url, message):
    page = signed_in(admin_user).post(reverse("console:webhook_new"), {"url": url})

    assert page.status_code == 400
    assert message in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_disable_enable_and_delete_after_confirming(signed_in, admin_user):
    client = signed_in(admin_user)
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/status", consecutive_failures=3
    )

    assert client.get(reverse("console:webhook_disable", args=[endpoint.pk])).status_code == 405
    client.post(reverse("console:webhook_disable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and endpoint.disabled_reason == "Disabled by adam."

    client.post(reverse("console:webhook_enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_enabled and endpoint.consecutive_failures == 0

    confirm = client.get(reverse("console:webhook_delete", args=[endpoint.pk]))
    assert confirm.status_code == 200 and "Delete webhook" in confirm.content.decode()
    assert WebhookEndpoint.objects.exists()
    client.post(reverse("console:webhook_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__startswith="webhook.").values_list("action", flat=True)
    ) == ["webhook.deleted", "webhook.enabled", "webhook.disabled"]


def test_editors_get_the_forbidden_page_and_no_link(signed_in, editor, admin_user):
    client = signed_in(editor)
    page = client.get(reverse("console:webhooks"))
    assert page.status_code == 403 and "needs the admin role" in page.content.decode()
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:webhooks") not in dashboard
    assert reverse("console:tokens") not in dashboard
    admin_dashboard = signed_in(admin_user).get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:webhooks")}"' in admin_dashboard
    assert f'href="{reverse("console:tokens")}"' in admin_dashboard
