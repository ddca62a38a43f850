"""Tell Telegram where to post the bot's updates: `python manage.py telegram_webhook`.

Calls the Bot API's setWebhook with SITE_URL + /telegram/webhook/, TELEGRAM_WEBHOOK_SECRET as
the secret_token Telegram sends back in X-Telegram-Bot-Api-Secret-Token, and only "message"
updates. Run it once after setting the TELEGRAM_* settings, and again when SITE_URL or the
secret changes. Telegram posts only to https on port 443, 80, 88 or 8443.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from incidents.links import absolute
from notifier.channels.base import TransportError
from notifier.channels.telegram import TelegramChannel, answer_of, call


class Command(BaseCommand):
    help = "Register this site's /telegram/webhook/ with Telegram (setWebhook) for the bot."

    def handle(self, *args: Any, **options: Any) -> None:
        channel = TelegramChannel()
        if not channel.is_configured():
            raise CommandError(f"Telegram is off. {channel.why_off()}")
        url = absolute(reverse("telegram_webhook"))
        if not url.startswith("https://"):
            raise CommandError(
                f"Telegram posts updates only to https: SITE_URL is {settings.SITE_URL!r}."
            )
        body = {
            "url": url,
            "secret_token": settings.TELEGRAM_WEBHOOK_SECRET,
            "allowed_updates": ["message"],
        }
        try:
            with channel.session() as session:
                response, answer = call(session, "setWebhook", body)
        except TransportError as error:
            raise CommandError(str(error)) from None
        said = answer_of(answer)
        if response.status_code != 200 or said.get("ok") is not True:
            description = str(said.get("description", ""))[:200]
            raise CommandError(
                f"Telegram refused setWebhook ({response.status_code}: {description})."
            )
        self.stdout.write(f"Telegram posts the bot's updates to {url} now.")
