"""Our own mail domains: the subscribe form warns that mail there may not arrive in an outage."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

import statuspage.settings as settings_module
from notifier.channels.contact import ContactPointChannel
from notifier.channels.email import EmailChannel
from notifier.manage import add_contact, token_of
from notifier.own_domain import own_domain_of

pytestmark = pytest.mark.django_db

WARNING = "may not arrive during a mail outage"


@pytest.fixture
def own_domains(settings) -> None:
    settings.OWN_MAIL_DOMAINS = ["runbox.com", "runbox.no"]


@pytest.mark.usefixtures("own_domains")
@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("reader@runbox.com", "runbox.com"),
        ("reader@RUNBOX.COM", "runbox.com"),
        ("reader@mail.runbox.no", "runbox.no"),
        ("reader@runbox.com.", "runbox.com"),
        ("reader@notrunbox.com", ""),
        ("reader@runbox.com.example", ""),
        ("reader@example.com", ""),
        ("no-at-sign", ""),
    ],
)
def test_an_address_at_one_of_our_domains_or_under_it_is_ours(email, domain):
    assert own_domain_of(email) == domain


def test_the_setting_is_a_comma_separated_list_read_in_lower_case(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OWN_MAIL_DOMAINS", " Runbox.COM, runbox.no. ,")
    loaded = runpy.run_path(str(Path(settings_module.__file__)))
    assert loaded["OWN_MAIL_DOMAINS"] == ["runbox.com", "runbox.no"]


def test_no_domain_is_ours_by_default(settings):
    assert settings.OWN_MAIL_DOMAINS == []
    assert own_domain_of("reader@runbox.com") == ""


@pytest.mark.usefixtures("own_domains")
def test_after_submitting_an_address_of_ours_the_page_warns_and_offers_other_ways(
    client, inbox, eager_celery
):
    page = client.post(reverse("subscribe"), {"email": "reader@mail.runbox.com"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Check your email" in html and WARNING in html
    assert "an address at runbox.com" in html
    assert "An email address with another provider" in html
    assert len(inbox.messages) == 1  # the warning advises; the subscription goes ahead


class TextMessages(ContactPointChannel):
    name = "sms"
    public_label = "Text message (SMS)"
    subscribe_url_name = "subscribe"  # any page will do: the test reads the link's text


@pytest.mark.usefixtures("own_domains")
def test_the_warning_links_to_each_other_configured_way(client, inbox, eager_celery, monkeypatch):
    monkeypatch.setattr("notifier.views.subscribe_ways", lambda: [EmailChannel(), TextMessages()])
    html = client.post(reverse("subscribe"), {"email": "reader@runbox.com"}).content.decode()
    assert ">Text message (SMS)</a>" in html


@pytest.mark.usefixtures("own_domains")
def test_an_outside_address_gets_no_warning(client, inbox, eager_celery):
    html = client.post(reverse("subscribe"), {"email": "reader@example.com"}).content.decode()
    assert WARNING not in html


def test_with_no_domains_of_ours_the_form_carries_no_warning_and_no_script(client):
    html = client.get(reverse("subscribe")).content.decode()
    assert WARNING not in html and "own_domain.js" not in html
    assert "data-own-domains" not in html


@pytest.mark.usefixtures("own_domains")
def test_the_form_has_the_warning_hidden_for_its_script_to_show_while_typing(client):
    html = client.get(reverse("subscribe")).content.decode()
    assert 'data-own-domains="runbox.com,runbox.no"' in html
    assert re.search(r'id="own-domain-warning" role="status" hidden', html)
    assert re.search(r'<script src="[^"]*notifier/own_domain\.js" defer>', html)
    assert finders.find("notifier/own_domain.js")


@pytest.mark.usefixtures("own_domains")
def test_a_reader_adding_an_address_from_their_page_is_warned_too(client, inbox, eager_celery):
    reader = add_contact("sms", "+4791234567", component_ids=[]).subscriber
    data = {"email": "reader@runbox.no", "for": token_of(reader)}
    html = client.post(reverse("subscribe"), data).content.decode()
    assert WARNING in html
