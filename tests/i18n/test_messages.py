"""The words of everything sent (mails, SMS, chat hooks, Telegram, push, X and Mastodon posts)
come out in the language active when they are built: bokmål under "nb", as before under "en".

Statuses, times and lead texts ("Investigating", "Next update by 02:15 CET", "60 minutes") come
from incidents/ and are translated there; these tests check the words the messages add.
"""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from django.utils import translation

import actions
from incidents.models import ComponentStatus, IncidentStatus, IncidentUpdate
from notifier import telegram_bot
from notifier.channels import push, sms, telegram
from notifier.channels.base import recent_messages
from notifier.channels.chat_hooks import chat_words, code_text
from notifier.channels.discord import DiscordChannel
from notifier.channels.email import EmailChannel
from notifier.channels.mastodon import MastodonChannel
from notifier.channels.slack import SlackChannel
from notifier.channels.sms import SmsChannel
from notifier.channels.teams import TeamsChannel
from notifier.channels.telegram import TelegramChannel
from notifier.channels.webhook import said_why
from notifier.channels.x import XChannel
from notifier.manage import add_contact
from notifier.models import Delivery, Notice, NoticeKind, Subscriber
from notifier.notice_text import email_for, notice_details, notice_text, render_email, valid_for
from notifier.signed_links import SubscribeRequest
from notifier.sms.segments import GSM7, segments
from notifier.subscriptions import confirmation_email
from tests.factories import make_component, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db]

START, END = oslo(2040, 1, 12, 23, 0), oslo(2040, 1, 13, 1, 0)
MANAGE = "https://status.example.com/subscription/token/"

# The English words the messages add; none may be left in a Norwegian message.
ENGLISH = (
    "Affects",
    "Window:",
    "Posted ",
    "Follow the updates",
    "You receive this because",
    "Manage or unsubscribe",
    "The maintenance starts at",
    "Maintenance starts in",
    "Change or stop these notices",
    "View the",
    "Your subscription",
    "Reply STOP",
    "Someone, probably you",
    "To confirm, open this link",
    "If you did not ask for this",
    "Confirm your subscription",
    "Your confirmation code",
    "notices here",
    "This chat gets",
)


def no_english(text: str) -> None:
    found = [phrase for phrase in ENGLISH if phrase in text]
    assert not found, f"English left: {found}\n{text}"


@pytest.fixture
def imap():
    return make_component("IMAP")


def promising_update(imap) -> Notice:
    """An update at 01:45 CET promising the next by 02:15 CET, affecting IMAP."""
    incident = actions.open_incident(
        title="Webmail is slow",
        body="Investigating.",
        impact="major",
        component_statuses={imap: ComponentStatus.PARTIAL_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    update = actions.post_incident_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="We found it.",
        posted_at=oslo(2013, 1, 25, 1, 45),
    )
    IncidentUpdate.objects.filter(pk=update.pk).update(next_update_by=oslo(2013, 1, 25, 2, 15))
    return Notice.objects.get(incident_update=update)


def opened(imap) -> Notice:
    incident = actions.open_incident(
        title="Webmail is slow",
        body="We are looking into it.",
        impact="major",
        component_statuses={imap: ComponentStatus.PARTIAL_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    return Notice.objects.get(incident=incident, kind=NoticeKind.INCIDENT_OPENED)


def reminder(imap) -> Notice:
    schedule_maintenance(
        title="Mail database upgrade",
        start=START,
        end=END,
        components=[imap],
        at=START - timedelta(hours=48),
    )
    [work] = actions.remind_due_maintenance(now=START - timedelta(minutes=60))
    return Notice.objects.get(maintenance=work, kind=NoticeKind.MAINTENANCE_REMINDER)


# Confirmation mail


def test_the_confirmation_mail_is_in_bokmal(imap):
    request = SubscribeRequest(email="reader@example.com", component_ids=(imap.pk,))
    with translation.override("nb"):
        mail = confirmation_email(request)

    assert mail.subject == "Bekreft abonnementet ditt på Runbox Status"
    assert mail.body.startswith(
        "Noen, sannsynligvis du, har bedt om at varsler fra Runbox Status om IMAP sendes til "
        "denne adressen.\n\nBekreft ved å åpne denne lenken (gyldig i 3 dager):\n"
    )
    assert "/nb/subscribe/confirm/" in mail.body
    assert mail.body.endswith(
        "\n\nHvis du ikke har bedt om dette, kan du se bort fra denne e-posten: du får ingenting "
        "tilsendt, og adressen din blir ikke lagret.\n\n"
    )
    no_english(mail.subject + mail.body)


def test_the_confirmation_of_a_change_is_in_bokmal(imap):
    smtp = make_component("SMTP")
    subscriber = Subscriber.objects.create(email="reader@example.com")
    subscriber.components.set([imap])
    request = SubscribeRequest(email="reader@example.com", component_ids=(smtp.pk,))
    with translation.override("nb"):
        mail = confirmation_email(request)

    assert mail.subject == "Bekreft endringen av abonnementet ditt på Runbox Status"
    assert (
        "Nå får du varsler om: IMAP.\nEtter at du har bekreftet: SMTP.\nLagt til: SMTP.\n"
        "Fjernet: IMAP.\n"
    ) in mail.body
    assert "abonnementet ditt forblir som det er." in mail.body
    no_english(mail.subject + mail.body)


def test_the_confirmation_mail_in_english_is_as_before(imap):
    request = SubscribeRequest(email="reader@example.com", component_ids=(imap.pk,))
    with translation.override("en"):
        mail = confirmation_email(request)

    link = next(line for line in mail.body.splitlines() if "/subscribe/confirm/" in line)
    assert "/nb/" not in link
    assert mail.subject == "Confirm your subscription to Runbox Status"
    assert mail.body == (
        "Someone, probably you, asked for Runbox Status notices to be sent to this address for "
        "IMAP.\n\nTo confirm, open this link (valid for 3 days):\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this mail: nothing will be sent to you, and your "
        "address is not stored.\n\n"
    )


def test_how_long_a_link_works_counts_in_each_language():
    with translation.override("nb"):
        assert [valid_for(1), valid_for(48), valid_for(72)] == ["1 time", "48 timer", "3 dager"]
    with translation.override("en"):
        assert [valid_for(48), valid_for(72), valid_for(24 * 7)] == [
            "48 hours",
            "3 days",
            "7 days",
        ]


# Notice mail


def test_the_notice_mail_text_html_and_subject_are_in_bokmal(imap):
    notice = promising_update(imap)
    with translation.override("nb"):
        mail = render_email(notice)

    assert "\n\nBerører: IMAP\n\nPublisert " in mail.text
    assert ". Følg oppdateringene på:\n" in mail.text
    assert mail.text.endswith(
        "--\nDu får dette fordi du abonnerer på Runbox Status.\n"
        "Endre eller avslutt abonnementet: UNSUBSCRIBE-URL-9f1c\n\n"
    )
    assert '<html lang="nb">' in mail.html
    assert "<p><strong>Berører:</strong> IMAP</p>" in mail.html
    assert ">Følg oppdateringene på statussiden</a></p>" in mail.html
    assert (
        "Du får dette fordi du abonnerer på Runbox Status. "
        '<a href="UNSUBSCRIBE-URL-9f1c">Endre eller avslutt abonnementet</a>.'
    ) in mail.html
    assert mail.subject == "[Runbox Status] Webmail is slow"
    no_english(mail.text)
    no_english(mail.html)


def test_a_reminder_mail_is_in_bokmal(imap):
    notice = reminder(imap)
    with translation.override("nb"):
        mail = render_email(notice)

    assert mail.subject.startswith("[Runbox Status] Vedlikehold starter om ")
    assert "\n\nVedlikeholdet starter 23:00 CET (" in mail.text
    assert "\nVedlikeholdsvindu: " in mail.text
    assert "<p><strong>Vedlikeholdet starter 23:00 CET</strong> (" in mail.html
    assert "<p><strong>Vedlikeholdsvindu:</strong> " in mail.html
    for part in (mail.subject, mail.text, mail.html):
        no_english(part)


def test_the_notice_mail_in_english_is_as_before(imap):
    notice = promising_update(imap)
    url = notice_text(notice).url
    with translation.override("en"):
        mail = render_email(notice)

    assert mail.subject == "[Runbox Status] Webmail is slow"
    assert mail.text == (
        "Identified: Webmail is slow\n\nIDENTIFIED 01:45 CET: We found it.\n\n"
        "Next update by 02:15 CET.\n\nAffects: IMAP\n\n"
        f"Posted Fri 25 Jan 2013, 01:45 CET. Follow the updates at:\n{url}\n\n"
        "--\nYou receive this because you subscribed to Runbox Status.\n"
        "Manage or unsubscribe: UNSUBSCRIBE-URL-9f1c\n\n"
    )
    assert '<html lang="en">' in mail.html
    assert "<p><strong>Affects:</strong> IMAP</p>" in mail.html
    assert f'<p><a href="{url}">Follow the updates on the status page</a></p>' in mail.html
    assert (
        "You receive this because you subscribed to Runbox Status. "
        '<a href="UNSUBSCRIBE-URL-9f1c">Manage or unsubscribe</a>.'
    ) in mail.html


def test_the_mail_rendered_once_is_kept_per_language(imap):
    notice = opened(imap)
    with translation.override("en"):
        english = email_for(notice)
    with translation.override("nb"):
        norwegian = email_for(notice)
    with translation.override("en"):
        again = email_for(notice)

    assert "Affects: IMAP" in english.text and "Berører: IMAP" in norwegian.text
    assert again is english


def test_a_batch_prepared_in_one_language_mails_another_in_its_own(imap):
    notice = opened(imap)
    subscriber = Subscriber.objects.create(email="reader@example.com")
    EmailChannel().expand_page(notice, after=0, limit=10)
    delivery = Delivery.objects.get(notice=notice, channel="email")
    channel = EmailChannel()
    with translation.override("en"):
        channel.prepare([delivery])
        english = email.message_from_bytes(channel.envelope(delivery, subscriber)[2])
        subscriber.language = "nb"  # the reader's language, whatever the worker's
        norwegian = email.message_from_bytes(channel.envelope(delivery, subscriber)[2])

    def text(message: email.message.Message) -> str:
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        return part.get_payload(decode=True).decode()

    assert "Affects: IMAP" in text(english)
    assert "Berører: IMAP" in text(norwegian)
    no_english(text(norwegian))


# SMS


def test_the_sms_is_in_bokmal_gsm7_and_no_longer_than_in_english(imap):
    notice = opened(imap)
    with translation.override("en"):
        english = sms.sms_text(notice)
    with translation.override("nb"):
        norwegian = sms.sms_text(notice)

    assert english.endswith("\nReply STOP to unsubscribe")
    assert norwegian.endswith("\nSvar STOPP for å stoppe")
    assert segments(norwegian).encoding == GSM7
    with translation.override("nb"):
        stop_nb = sms.stop_line()
    with translation.override("en"):
        stop_en = sms.stop_line()
    assert len(stop_nb) <= len(stop_en)
    no_english(norwegian)


def test_the_sms_channel_keeps_a_text_per_language(imap):
    notice = opened(imap)
    channel = SmsChannel()
    with translation.override("en"):
        english = channel.text(notice)
    with translation.override("nb"):
        norwegian = channel.text(notice)

    assert "Reply STOP" in english and "Svar STOPP" in norwegian


# Chat hooks


def test_a_slack_message_is_in_bokmal(imap):
    notice = promising_update(imap)
    with translation.override("nb"):
        message = SlackChannel().message(chat_words(notice), MANAGE)

    facts, links = message["blocks"][-2]["elements"], message["blocks"][-1]["elements"]
    assert [fact["text"] for fact in facts] == ["*Berører:* IMAP", "*Neste oppdatering:* 02:15 CET"]
    assert links[0]["text"].endswith(
        f"|Se hendelsen> · <{MANAGE}|Endre eller stopp disse varslene>"
    )
    no_english(str(message))


def test_teams_and_discord_messages_are_in_bokmal(imap):
    notice = reminder(imap)
    with translation.override("nb"):
        teams = TeamsChannel().message(chat_words(notice), MANAGE)
        discord = DiscordChannel().message(chat_words(notice), MANAGE)

    card = teams["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == [
        "Se vedlikeholdet",
        "Endre eller stopp disse varslene",
    ]
    assert [f["title"] for f in card["body"][-1]["facts"]] == ["Berører", "Vedlikeholdsvindu"]
    assert card["body"][0]["text"] == "Påminnelse"
    fields = discord["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["Berører", "Vedlikeholdsvindu", "Abonnementet ditt"]
    assert fields[-1]["value"] == f"[Endre eller stopp disse varslene]({MANAGE})"
    no_english(str(teams) + str(discord))


def test_a_slack_message_in_english_is_as_before(imap):
    notice = promising_update(imap)
    url = notice_text(notice).url
    with translation.override("en"):
        message = SlackChannel().message(chat_words(notice), MANAGE)

    assert message["blocks"][-2]["elements"] == [
        {"type": "mrkdwn", "text": "*Affects:* IMAP"},
        {"type": "mrkdwn", "text": "*Next update:* 02:15 CET"},
    ]
    assert message["blocks"][-1]["elements"] == [
        {
            "type": "mrkdwn",
            "text": f"<{url}|View the incident> · <{MANAGE}|Change or stop these notices>",
        }
    ]


def test_the_confirmation_code_message_is_in_bokmal():
    with translation.override("nb"):
        text = code_text("123456")
    assert text.startswith("Din bekreftelseskode for varsler fra Runbox Status: 123456\n")
    no_english(text)
    with translation.override("en"):
        assert code_text("123456") == (
            "Your confirmation code for Runbox Status notices: 123456\n"
            "Enter it on the page where you gave this webhook. If nobody here asked for these "
            "notices, ignore this message: nothing more comes unless the code is entered."
        )


def test_the_message_kept_for_the_next_batches_is_kept_per_language(imap):
    notice = opened(imap)
    channel = SlackChannel()
    with translation.override("en"):
        english = b"".join(channel.message_parts(notice))
    with translation.override("nb"):
        norwegian = b"".join(channel.message_parts(notice))
    with translation.override("en"):
        again = recent_messages.get(channel.name, notice, lambda: pytest.fail("built again"))

    assert b"View the incident" in english and b"Se hendelsen" in norwegian
    assert b"".join(again) == english


def test_details_sort_by_their_key_in_every_language(imap):
    notice = promising_update(imap)
    with translation.override("nb"):
        details = notice_details(notice, notice_text(notice))
        words = chat_words(notice)

    assert [d.key for d in details] == ["next_update", "affects"]
    assert [d.label for d in details] == ["Neste oppdatering", "Berører"]
    assert words.facts == (("Berører", "IMAP"), ("Neste oppdatering", "02:15 CET"))


# Telegram


def test_a_telegram_message_is_in_bokmal(imap):
    notice = promising_update(imap)
    with translation.override("nb"):
        html = telegram.message(notice).html(MANAGE)

    assert "\nBerører: IMAP\n" in html
    assert html.endswith(f'<a href="{MANAGE}">Endre eller stopp disse varslene</a>')
    no_english(html)


def test_the_telegram_channel_keeps_a_message_per_language(imap):
    notice = opened(imap)
    channel = TelegramChannel()
    with translation.override("en"):
        english = channel.message(notice).plain()
    with translation.override("nb"):
        norwegian = channel.message(notice).plain()
    assert english.endswith("\nChange or stop these notices")
    assert norwegian.endswith("\nEndre eller stopp disse varslene")


def test_the_telegram_bot_answers_in_bokmal(imap):
    point = add_contact("telegram", "4242", component_ids=[imap.pk])
    with translation.override("nb"):
        welcome = telegram_bot.welcome(point)
        helped = telegram_bot.help_text("4242")
        nobody = telegram_bot.stop("99")
        bad = telegram_bot.start("99", "not-a-payload")
        empty = telegram_bot.start("99", "")

    assert welcome.startswith("Du får varsler fra Runbox Status her om IMAP: når en hendelse")
    assert "Send /stop for å stoppe dem. <a href=" in welcome
    assert ">Abonnementet ditt</a> viser hva du får" in welcome
    assert helped.startswith("Denne chatten får varsler fra Runbox Status. Send /stop")
    assert nobody.startswith("Denne chatten får ingen varsler. Vil du abonnere, gå til <a")
    assert nobody.endswith(">statussiden</a>.")
    assert bad.startswith("Denne lenken er ikke gyldig: den er kuttet av eller endret.")
    assert empty.startswith("For å få varsler fra Runbox Status her velger du tjenestene på")
    for answer in (welcome, helped, nobody, bad, empty):
        no_english(answer)


def test_the_telegram_bot_in_english_is_as_before(imap):
    point = add_contact("telegram", "4242", component_ids=[imap.pk])
    with translation.override("en"):
        welcome = telegram_bot.welcome(point)
        nobody = telegram_bot.stop("99")

    assert welcome.startswith(
        "You will get Runbox Status notices here about IMAP: when an incident starts, at each "
        "update and when it is resolved, and before and after maintenance.\n\n"
        'Send /stop to stop them. <a href="'
    )
    assert welcome.endswith(">Your subscription</a> shows what you get and lets you change it.")
    assert nobody.startswith("This chat gets no notices. To subscribe, visit <a href=")
    assert nobody.endswith(">the status page</a>.")


# Push


def test_a_push_reminder_is_in_bokmal(imap):
    notice = reminder(imap)
    with translation.override("nb"):
        shown = push.notification(notice)
    with translation.override("en"):
        english = push.notification(notice)

    assert shown["title"].startswith("Vedlikehold starter om ")
    assert shown["body"].startswith("Starter 23:00 CET")
    assert english["title"].startswith("Maintenance starts in ")
    assert english["body"].startswith("At 23:00 CET")
    no_english(str(shown))


# X and Mastodon


def test_x_and_mastodon_posts_are_in_bokmal(imap):
    notice = reminder(imap)
    with translation.override("nb"):
        posts = [XChannel().text(notice), MastodonChannel().text(notice)]
    with translation.override("en"):
        english = XChannel().text(notice)

    for post in posts:
        assert post.startswith("Vedlikehold starter om ")
        assert ": Mail database upgrade (23:00 CET)\n" in post
        no_english(post)
    assert english.startswith("Maintenance starts in 60 minutes: Mail database upgrade (23:00 CET)")


# The webhook's contact


def test_why_a_webhook_was_disabled_is_told_in_each_language(settings):
    settings.WEBHOOK_DISABLE_AFTER = 5
    with translation.override("nb"):
        assert said_why(gone=True) == "den svarte 410 Gone"
        assert said_why(gone=False) == "5 leveringer på rad mislyktes"
    with translation.override("en"):
        assert said_why(gone=False) == "5 deliveries in a row failed"
