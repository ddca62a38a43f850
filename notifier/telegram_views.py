"""Telegram's two doors: the page that gives a reader their deep link, and the bot's webhook."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifier.channels.telegram import TelegramChannel
from notifier.forms import ComponentsForm
from notifier.manage import subscriber_for
from notifier.models import Subscriber
from notifier.signed_links import BadToken
from notifier.telegram_bot import reply_to
from notifier.telegram_links import TooManyComponents, join_payload, start_payload

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramSubscribeForm(ComponentsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The reader's own page sends them here with ?for=<manage token>; the form keeps it.
        self.fields["for"] = forms.CharField(required=False, widget=forms.HiddenInput)


def deep_link(payload: str) -> str:
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={payload}"


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    hours = settings.SUBSCRIBE_CONFIRM_MAX_AGE // 3600
    if hours < 72:
        context["valid_for"] = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    else:
        days = hours // 24
        context["valid_for"] = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return render(request, "notifier/subscribe_telegram.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_telegram(request: HttpRequest) -> HttpResponse:
    if not TelegramChannel().is_configured():
        raise Http404("Telegram is not set up on this site.")
    data = request.POST if request.method == "POST" else None
    token = (data or request.GET).get("for", "")
    form = TelegramSubscribeForm(data, initial={"for": token})
    reader: Subscriber | None = None
    try:
        reader = subscriber_for(token) if token else None
    except BadToken as error:
        return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)
    context: dict[str, Any] = {"form": form, "reader": reader}
    if request.method != "POST":
        return _page(request, context)
    if not form.is_valid():
        return _page(request, context, status=400)
    if reader is not None:
        payload = join_payload(reader.pk, reader.key)
    else:
        try:
            payload = start_payload(form.component_ids())
        except TooManyComponents:
            count = len(form.component_ids())
            too_many = ngettext(
                "%(n)d service does not fit in a Telegram link: choose fewer, "
                "or none for every service.",
                "%(n)d services do not fit in a Telegram link: choose fewer, "
                "or none for every service.",
                count,
            )
            form.add_error("components", too_many % {"n": count})
            return _page(request, context, status=400)
    return _page(request, {**context, "link": deep_link(payload)})


@csrf_exempt  # Telegram posts without a session; the secret header is the key
@require_POST
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.TELEGRAM_WEBHOOK_SECRET.encode()
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    if not secret or not hmac.compare_digest(given, secret):
        return HttpResponseForbidden("Wrong or missing X-Telegram-Bot-Api-Secret-Token.")
    if not TelegramChannel().is_configured():
        return HttpResponse(status=200)  # nobody can subscribe while the channel is off
    try:
        update = json.loads(request.body)
    except (ValueError, RecursionError, RequestDataTooBig):
        return HttpResponse(status=200)  # not an update: Telegram must not send it again
    reply = reply_to(update)
    return HttpResponse(status=200) if reply is None else JsonResponse(reply)
