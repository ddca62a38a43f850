"""The public page where a reader subscribes a Slack, Teams or Discord incoming webhook."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from notifier import chat_subscribe, subscriptions
from notifier.channels.base import TransportError
from notifier.channels.chat_hooks import ChatHookChannel
from notifier.channels.contact import manage_url
from notifier.chat_subscribe import where_to_find
from notifier.forms import ComponentsForm
from notifier.manage import subscriber_for
from notifier.outbound import validate_subscriber_url
from notifier.signed_links import BadToken
from notifier.views import _rate_limited
from statuspage.client import client_address

URL_LENGTH = 500  # ContactPoint.address


class ChatHookForm(ComponentsForm):
    service = forms.ChoiceField(
        label=gettext_lazy("Service"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose Slack, Teams or Discord.")},
    )
    url = forms.CharField(
        label=gettext_lazy("Incoming webhook URL"),
        max_length=URL_LENGTH,
        error_messages={
            "required": gettext_lazy("Paste the webhook URL the service gave you."),
            "max_length": gettext_lazy(
                "That is longer than any webhook URL (%(limit_value)d characters)."
            ),
        },
    )
    field_order = ["service", "url", "components"]

    def __init__(self, *args: Any, channels: dict[str, ChatHookChannel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels
        service = self.fields["service"]
        assert isinstance(service, forms.ChoiceField)
        service.choices = [(name, channel.service) for name, channel in channels.items()]
        self.fields["for"] = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        validate_subscriber_url(url)
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = self.channels.get(str(data.get("service", "")))
        url = data.get("url")
        # With loopback allowed (tests, a local receiver) any host stands in for the service's.
        strict = not settings.OUTBOUND_ALLOW_LOOPBACK
        if channel and url and strict and not channel.looks_like_ours(url):
            self.add_error(
                "url",
                ValidationError(
                    _("That is not a %(service)s incoming-webhook URL.")
                    % {"service": channel.service}
                    + " "
                    + where_to_find(channel)
                ),
            )
        return data


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=gettext_lazy("The six-digit code"),
        error_messages={
            "required": gettext_lazy("Enter the code from the message we posted."),
            "invalid": gettext_lazy("The code is six digits."),
        },
    )
    pending = forms.CharField(widget=forms.HiddenInput)


def _problem(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "notifier/link_problem.html", {"message": message}, status=400)


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "notifier/subscribe_chat.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_chat(request: HttpRequest) -> HttpResponse:
    channels = chat_subscribe.chat_channels()
    if not channels:
        return _problem(request, _("Slack, Teams and Discord notices are not offered here."))
    if request.method == "POST" and "pending" in request.POST:
        return _enter_code(request)
    for_token = (request.POST if request.method == "POST" else request.GET).get("for", "")
    if for_token:
        try:
            subscriber_for(for_token)
        except BadToken as error:
            return _problem(request, str(error))
    data = request.POST if request.method == "POST" else None
    form = ChatHookForm(data, channels=channels, initial={"for": for_token})
    context = {"form": form, "channels": channels.values(), "for_token": for_token}
    if request.method != "POST":
        return _page(request, context)
    if not form.is_valid():
        return _page(request, context, status=400)
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _rate_limited(request, decision, chat=True)
    channel = channels[form.cleaned_data["service"]]
    code = chat_subscribe.new_code()
    try:
        chat_subscribe.send_code(channel, form.cleaned_data["url"], code)
    except TransportError as error:
        form.add_error(
            "url", _("We could not post the code to that URL: %(error)s") % {"error": error}
        )
        return _page(request, context, status=400)
    pending = chat_subscribe.pending_token(
        channel.name, form.cleaned_data["url"], form.component_ids(), for_token, code
    )
    return _code_page(request, CodeForm(initial={"pending": pending}), channel)


def _code_page(
    request: HttpRequest, form: CodeForm, channel: ChatHookChannel, status: int = 200
) -> HttpResponse:
    minutes = settings.CHAT_CODE_MAX_AGE // 60
    context = {"form": form, "service": channel.service, "minutes": minutes}
    return render(request, "notifier/subscribe_chat_code.html", context, status=status)


def _enter_code(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    try:
        pending = chat_subscribe.read_pending(request.POST.get("pending", ""))
    except BadToken as error:
        return _problem(request, str(error))
    channel = chat_subscribe.chat_channels().get(pending.service)
    if channel is None:
        return _problem(request, _("This service is no longer offered here."))
    if not form.is_valid():
        return _code_page(request, form, channel, status=400)
    try:
        point = chat_subscribe.confirm(pending, form.cleaned_data["code"].strip())
    except chat_subscribe.WrongCode as error:
        form.add_error("code", str(error))
        return _code_page(request, form, channel, status=400)
    except BadToken as error:
        return _problem(request, str(error))
    context = {"service": channel.service, "manage_url": manage_url(point.subscriber)}
    return render(request, "notifier/subscribe_chat_done.html", context)
