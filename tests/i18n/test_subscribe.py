"""The subscribe pages in Norwegian under /nb/: every tab, confirming, the reader's own page,
unsubscribing and a form error; a subscription made there stays there from start to end."""

from __future__ import annotations

import base64
import re
from html import unescape
from pathlib import Path
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse
from django.utils import translation

from notifier.manage import add_contact, token_of
from notifier.models import Subscriber
from notifier.signed_links import unsubscribe_token
from tests.factories import make_component
from tests.notifier.conftest import inbox
from tests.notifier.sms_provider import Provider, provider, twilio
from tests.notifier.telegram_bot_api import TOKEN, BotApi, bot_api
from tests.test_html_validity import validation_errors

pytestmark = pytest.mark.django_db
__all__ = ["bot_api", "inbox", "provider", "twilio"]  # fixtures, used by name

# English phrases of the pages that must not be left on their Norwegian versions.
ENGLISH = (
    "Get notices",
    "Only these services",
    "Your email address",
    "Send me a confirmation link",
    "Prefer a feed?",
    "Ways to get notices",
    "Confirm your subscription",
    "Yes, subscribe",
    "You are subscribed",
    "Notices will go to",
    "Back to the status page",
    "Your subscription",
    "Where we reach you",
    "Add a way to reach you",
    "What you hear about",
    "Save my choice",
    "Stop all notices",
    "every service",
    "Unsubscribe",
    "This link does not work",
    "Send me a code",
    "Your mobile number",
    "Notify me in this browser",
    "This browser",
    "Get my Telegram link",
    "Post a code to this webhook",
    "Incoming webhook URL",
    "In Slack, create an app",
    "Check your email",
    "does not look like",
    "Enter the",
    "Too many requests",
    "try again",
)


def nb(name: str, *args: object) -> str:
    with translation.override("nb"):
        return reverse(name, args=args)


def text_of(response) -> str:
    return response.content.decode()


def assert_norwegian(html: str, *phrases: str) -> None:
    assert '<html lang="nb"' in html
    for phrase in phrases:
        assert phrase in html, phrase
    left = [english for english in ENGLISH if english in html]
    assert not left, left


def links(html: str, page: str) -> set[str]:
    """The paths the page's links and forms lead to (the site writes them relative)."""
    found = re.findall(r'(?:href|action)="([^"#]*)"', html.split("<main", 1)[1])
    return {urlsplit(urljoin(f"http://testserver{page}", unescape(url))).path for url in found}


def assert_links_stay_in_norwegian(html: str, page: str) -> None:
    ours = [path for path in links(html, page) if "subscri" in path]
    assert ours
    assert all(path.startswith("/nb/") for path in ours), ours


@pytest.fixture
def reader() -> Subscriber:
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms", "+4791234567", component_ids=[], subscriber=reader)
    return reader


def test_the_email_tab_is_norwegian_and_its_form_posts_under_nb(client: Client):
    make_component("IMAP", showcase=True)
    response = client.get("/nb/subscribe/")
    html = text_of(response)
    assert response.status_code == 200
    assert_norwegian(
        html,
        "Få varsler på e-post",
        "Din e-postadresse",
        "Bare disse tjenestene",
        "Send meg en bekreftelseslenke",
        "Vil du heller bruke en nyhetsstrøm?",
    )
    assert "/nb/subscribe/" in links(html, "/nb/subscribe/")
    assert {"/nb/subscribe/push/", "/nb/subscribe/chat/"} <= links(html, "/nb/subscribe/")
    assert_links_stay_in_norwegian(html, "/nb/subscribe/")


def test_the_english_tab_is_unchanged(client: Client):
    html = text_of(client.get("/subscribe/"))
    assert '<html lang="en"' in html
    for english in ("Get notices by email", "Your email address", "Send me a confirmation link"):
        assert english in html
    for norwegian in ("Få varsler", "e-postadresse", "bekreftelseslenke"):
        assert norwegian not in html
    assert all(not path.startswith("/nb/") for path in links(html, "/subscribe/"))


def test_a_form_error_is_norwegian(client: Client):
    response = client.post("/nb/subscribe/", {"email": "not an address"})
    assert response.status_code == 400
    html = text_of(response)
    assert_norwegian(html, "Det ser ikke ut som en e-postadresse (navn@example.com).")
    empty = text_of(client.post("/nb/subscribe/", {"email": ""}))
    assert "Skriv inn adressen varslene skal sendes til." in empty
    local = text_of(client.post("/nb/subscribe/", {"email": "reader@localhost"}))
    assert "Bruk en adresse på et offentlig domene" in local


def test_a_subscription_made_in_norwegian_works_and_stays_under_nb(client, inbox, eager_celery):
    imap = make_component("IMAP", showcase=True)
    sent = client.post("/nb/subscribe/", {"email": "leser@example.com", "components": [imap.pk]})
    assert sent.status_code == 200
    assert_norwegian(text_of(sent), "Sjekk e-posten din", "leser@example.com")
    assert not Subscriber.objects.exists()

    body = inbox.messages[-1].get_body(("plain",)).get_content()
    token = re.search(r"/subscribe/confirm/(\S+)/", body)
    assert token, body
    confirm = nb("subscribe_confirm", token.group(1))
    assert confirm.startswith("/nb/subscribe/confirm/")
    asked = text_of(client.get(confirm))
    assert_norwegian(asked, "Bekreft abonnementet", "Ja, jeg vil abonnere", "IMAP")
    assert not Subscriber.objects.exists()

    done = client.post(confirm)
    html = text_of(done)
    assert done.status_code == 200
    assert_norwegian(html, "Du abonnerer nå", "Varsler om IMAP blir sendt til")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "leser@example.com"
    assert list(subscriber.components.all()) == [imap]
    own_page = nb("manage_subscription", token_of(subscriber))
    assert own_page in links(html, confirm)
    assert "/nb/" in links(html, confirm)
    assert_links_stay_in_norwegian(text_of(client.get(own_page)), own_page)

    again = text_of(client.post(confirm))
    assert_norwegian(again, "Abonnementet ditt er oppdatert")


def test_the_confirm_page_for_a_change_is_norwegian(client, inbox, eager_celery):
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    Subscriber.objects.create(email="leser@example.com").components.set([imap])
    client.post("/nb/subscribe/", {"email": "leser@example.com", "components": [smtp.pk]})
    body = inbox.messages[-1].get_body(("plain",)).get_content()
    token = re.search(r"/subscribe/confirm/(\S+)/", body)
    assert token
    html = text_of(client.get(nb("subscribe_confirm", token.group(1))))
    assert_norwegian(html, "får nå varsler om: IMAP", "Lagt til: SMTP", "Fjernet: IMAP")
    assert "Ja, gjør denne endringen" in html


def test_the_own_page_is_norwegian_and_its_answers_stay_under_nb(client: Client, reader):
    imap = make_component("IMAP", showcase=True)
    page = nb("manage_subscription", token_of(reader))
    html = text_of(client.get(page))
    assert_norwegian(
        html,
        "Abonnementet ditt",
        "Der vi når deg",
        "E-post: <strong>reader@example.com</strong>",
        "SMS: <strong>+4791234567</strong>",
        "Legg til en måte å nå deg på",
        "E-post: bruk en annen adresse i stedet",
        "Nå: alle tjenester.",
        "Lagre valget",
        "Stopp alle varsler og slett opplysningene mine",
    )
    assert_links_stay_in_norwegian(html, page)
    assert {"/nb/subscribe/", "/nb/subscribe/chat/"} <= links(html, page)

    saved = client.post(page, {"action": "components", "components": [imap.pk]})
    assert saved.status_code == 303
    assert saved["Location"] == f"{page}?done=components"
    after = text_of(client.get(saved["Location"]))
    assert_norwegian(after, "Lagret: du får nå varsler om tjenestene nedenfor.", "Nå: IMAP.")

    bad = client.post(page, {"action": "components", "components": ["999"]})
    assert bad.status_code == 400
    assert_norwegian(text_of(bad), "En av tjenestene du valgte, finnes ikke.")

    removed = client.post(page, {"action": "remove", "contact": "email"})
    assert removed["Location"] == f"{page}?done=removed"
    assert "Fjernet: det sendes ikke flere varsler dit." in text_of(client.get(removed["Location"]))

    left = client.post(page, {"action": "leave"})
    assert_norwegian(text_of(left), "Du er meldt av", "Opplysningene dine er slettet")
    assert not Subscriber.objects.exists()


def test_unsubscribing_is_norwegian(client: Client, reader):
    page = nb("unsubscribe", unsubscribe_token(reader.pk, "reader@example.com"))
    html = text_of(client.get(page))
    assert_norwegian(html, "Meld deg av", "Eller endre hva du får")
    assert nb("manage_subscription", token_of(reader)) in links(html, page)
    done = text_of(client.post(page))
    assert_norwegian(done, "Du er meldt av", "Adressen din er slettet.")
    assert_norwegian(text_of(client.post(page)), "Allerede meldt av")


def test_a_bad_link_is_explained_in_norwegian(client: Client):
    response = client.get("/nb/subscription/not-a-token/")
    assert response.status_code == 400
    assert_norwegian(text_of(response), "Denne lenken virker ikke", "Kopier hele lenken.")


def test_the_sms_tab_and_its_errors_are_norwegian(client: Client, twilio: Provider):
    html = text_of(client.get("/nb/subscribe/sms/"))
    assert_norwegian(html, "Få varsler på SMS", "Ditt mobilnummer", "Send meg en kode", "STOPP")
    assert "/nb/subscribe/sms/" in links(html, "/nb/subscribe/sms/")
    wrong = client.post("/nb/subscribe/sms/", {"number": "12"})
    assert wrong.status_code == 400
    assert_norwegian(text_of(wrong), "Det nummeret finnes ikke")
    sent = client.post("/nb/subscribe/sms/", {"number": "+4791234567"}, REMOTE_ADDR="192.0.2.7")
    assert_norwegian(text_of(sent), "Skriv inn koden", "Vi har sendt en sekssifret kode")
    pending = re.search(r'name="pending" value="([^"]+)"', text_of(sent))
    assert pending
    code = re.search(r"(\d{6})$", twilio.delivered[-1][1])
    assert code
    bad = client.post("/nb/subscribe/sms/", {"pending": pending.group(1), "code": "12"})
    assert_norwegian(text_of(bad), "Koden består av seks sifre, for eksempel 123456.")
    done = client.post("/nb/subscribe/sms/", {"pending": pending.group(1), "code": code.group(1)})
    html = text_of(done)
    assert_norwegian(html, "Du abonnerer nå på SMS", "Svar STOPP")
    point_owner = Subscriber.objects.get()
    assert nb("manage_subscription", token_of(point_owner)) in links(html, "/nb/subscribe/sms/")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def push(settings) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_PUBLIC_KEY = ""
    settings.PUSH_ENABLED = True


@pytest.mark.usefixtures("push")
def test_the_push_tab_and_its_script_words_are_norwegian(client: Client):
    html = text_of(client.get("/nb/subscribe/push/"))
    assert_norwegian(
        html,
        "Få varsler i denne nettleseren",
        "Varsler i nettleseren krever JavaScript",
        ">abonner på e-post</a>",
        'data-blocked="Varsler er blokkert for dette nettstedet',
        'data-asking="Ber nettleseren om tillatelse …"',
        "Stopp varsler i denne nettleseren",
    )
    assert {"/nb/subscribe/", "/nb/subscribe/push/"} <= links(html, "/nb/subscribe/push/")
    refused = client.post("/nb/subscribe/push/", {"endpoint": "http://x.example/", "auth": "x"})
    assert refused.status_code == 400
    assert_norwegian(text_of(refused), "Dette er ikke et push-abonnement slik en nettleser lager")


def test_the_push_script_reads_every_word_the_page_renders():
    script = Path("notifier/static/notifier/push.js").read_text()
    template = Path("templates/notifier/_push_messages.html").read_text()
    names = re.findall(r'words\(\s*"(\w+)"', script)
    assert names
    for name in names:
        attribute = re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)
        assert f"data-{attribute}=" in template, name


@pytest.fixture
def telegram(settings, bot_api: BotApi) -> None:
    settings.TELEGRAM_API_URL = bot_api.url
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_USERNAME = "RunboxStatusBot"
    settings.TELEGRAM_WEBHOOK_SECRET = "s3cret-webhook_token"
    settings.SUBSCRIBE_CONFIRM_MAX_AGE = 48 * 3600


@pytest.mark.usefixtures("telegram")
def test_the_telegram_tab_is_norwegian(client: Client):
    html = text_of(client.get("/nb/subscribe/telegram/"))
    assert_norwegian(html, "Få varsler på Telegram", "Gi meg Telegram-lenken")
    assert "/nb/subscribe/telegram/" in links(html, "/nb/subscribe/telegram/")
    link = text_of(client.post("/nb/subscribe/telegram/", {}))
    assert_norwegian(link, "Lenken din er klar", "Åpne Telegram", "Lenken virker i 48 timer.")


def test_the_chat_tab_and_its_errors_are_norwegian(client: Client):
    html = text_of(client.get("/nb/subscribe/chat/"))
    assert_norwegian(
        html,
        "Få varsler i Slack, Teams eller Discord",
        "Der du finner URL-en",
        "I Slack lager du en app",
        "I Teams åpner du Workflows",
        "URL for innkommende webhook",
        "Send en kode til denne webhooken",
    )
    assert "/nb/subscribe/chat/" in links(html, "/nb/subscribe/chat/")
    missing = client.post("/nb/subscribe/chat/", {})
    assert missing.status_code == 400
    assert_norwegian(text_of(missing), "Velg Slack, Teams eller Discord.", "Lim inn webhook-URL")
    plain = client.post("/nb/subscribe/chat/", {"service": "slack", "url": "http://example.com/"})
    assert "Adressen må begynne med https://." in text_of(plain)


def test_the_norwegian_pages_are_valid_html(client: Client, reader, tmp_path: Path, settings):
    settings.OWN_MAIL_DOMAINS = ["runbox.com"]
    pages = {
        path: text_of(client.get(path))
        for path in (
            "/nb/subscribe/",
            "/nb/subscribe/chat/",
            nb("manage_subscription", token_of(reader)),
            nb("unsubscribe", unsubscribe_token(reader.pk, "reader@example.com")),
        )
    }
    pages["error"] = text_of(client.post("/nb/subscribe/", {"email": "x"}))
    errors = validation_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)


def test_the_rate_limit_page_is_norwegian(client: Client, settings):
    settings.SUBSCRIBE_RATE_LIMIT = 1
    with mock.patch("notifier.tasks.request_confirmation"):
        assert client.post("/nb/subscribe/", {"email": "a@example.com"}).status_code == 200
        refused = client.post("/nb/subscribe/", {"email": "b@example.com"})
    assert refused.status_code == 429
    assert_norwegian(
        text_of(refused),
        "For mange forespørsler",
        "Denne tilkoblingen har bedt om 1 bekreftelseslenke den siste timen.",
        "Prøv igjen om omtrent 60 minutter.",
    )
