"""Subscribing a browser to push, and stopping it: the page, its service worker, its posts.

The page's script (notifier/static/notifier/push.js) asks the browser for a push
subscription and posts its endpoint and two keys with the reader's components. The browser
granting it is the confirmation: only the browser holding the keys can read what we send,
so nothing waits for a second step. Stopping needs the endpoint and the auth secret, which
only that browser knows.
"""

from __future__ import annotations

import functools
import hmac
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifier import manage, subscriptions
from notifier.channels.contact import forget, manage_url
from notifier.channels.push import PushChannel
from notifier.forms import ComponentsForm
from notifier.models import ContactPoint, Subscriber
from notifier.outbound import validate_subscriber_url
from notifier.push_keys import b64url, b64url_decode, vapid_keys
from notifier.signed_links import BadToken
from notifier.views import _rate_limited
from statuspage.client import client_address

WORKER = Path(__file__).resolve().parent / "static" / "notifier" / "push-worker.js"
ENDPOINT_CHARS = 500  # ContactPoint.address
MISSING = {
    "required": gettext_lazy(
        "This is not a push subscription a browser makes: a part of it is missing."
    ),
    "max_length": gettext_lazy(
        "This is not a push subscription a browser makes: a part of it is too long."
    ),
}


def p256dh_key(value: str) -> str:
    """The browser's public key: an uncompressed P-256 point (65 bytes), base64url."""
    try:
        raw = b64url_decode(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("not 65 bytes starting 04")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValidationError(
            _(
                "This is not a push subscription a browser makes: its p256dh key must be a "
                "P-256 public key (65 bytes, base64url)."
            )
        ) from None
    return b64url(raw)


def auth_secret(value: str) -> str:
    """The browser's authentication secret: 16 bytes, base64url."""
    try:
        raw = b64url_decode(value)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise ValidationError(
            _(
                "This is not a push subscription a browser makes: its auth secret must be "
                "16 bytes, base64url."
            )
        )
    return b64url(raw)


def push_endpoint(value: str) -> str:
    value = value.strip()
    if not value.lower().startswith("https://"):
        raise ValidationError(
            _(
                "This is not a push subscription a browser makes: its endpoint must be an "
                "https:// URL."
            )
        )
    validate_subscriber_url(value)
    if "@" in value.split("/", 3)[2] or "#" in value:
        raise ValidationError(
            _(
                "This is not a push subscription a browser makes: its endpoint has a user or "
                "a fragment."
            )
        )
    return value


class BrowserForm(forms.Form):
    """What identifies a browser's subscription: the endpoint and the auth secret."""

    endpoint = forms.CharField(max_length=ENDPOINT_CHARS, error_messages=MISSING)
    auth = forms.CharField(max_length=64, error_messages=MISSING)

    def clean_endpoint(self) -> str:
        return push_endpoint(self.cleaned_data["endpoint"])

    def clean_auth(self) -> str:
        return auth_secret(self.cleaned_data["auth"])

    def problems(self) -> list[str]:
        return [str(message) for errors in self.errors.values() for message in errors]


class PushSubscribeForm(ComponentsForm, BrowserForm):
    p256dh = forms.CharField(max_length=128, error_messages=MISSING)
    field_order = ["endpoint", "p256dh", "auth", "components"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `for`: a reader's manage token, carried from ?for= when they add this browser.
        self.fields["for"] = forms.CharField(required=False, max_length=500)

    def clean_p256dh(self) -> str:
        return p256dh_key(self.cleaned_data["p256dh"])

    def problems(self) -> list[str]:
        return [
            str(message)
            for name, errors in self.errors.items()
            if name != "components"
            for message in errors
        ]


class RenewForm(BrowserForm):
    """A browser's new subscription, proven by the old endpoint and its old auth secret."""

    p256dh = forms.CharField(max_length=128, error_messages=MISSING)
    old_endpoint = forms.CharField(max_length=ENDPOINT_CHARS, error_messages=MISSING)
    old_auth = forms.CharField(max_length=64, error_messages=MISSING)

    def clean_p256dh(self) -> str:
        return p256dh_key(self.cleaned_data["p256dh"])

    def clean_old_endpoint(self) -> str:
        return push_endpoint(self.cleaned_data["old_endpoint"])

    def clean_old_auth(self) -> str:
        return auth_secret(self.cleaned_data["old_auth"])


def _page(
    request: HttpRequest,
    form: PushSubscribeForm,
    reader: Subscriber | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "public_key": vapid_keys().public,
        "problems": form.problems(),
        "reader": reader,
    }
    return render(request, "notifier/subscribe_push.html", context, status=status)


def _reader(token: str) -> Subscriber | None:
    return manage.subscriber_for(token) if token else None


def _link_problem(request: HttpRequest, error: BadToken) -> HttpResponse:
    return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_push(request: HttpRequest) -> HttpResponse:
    if not PushChannel().is_configured():
        raise Http404("Push notifications are not offered here.")
    if request.method == "POST" and request.POST.get("action") == "stop":
        return _stop(request)
    if request.method != "POST":
        token = request.GET.get("for", "")
        try:
            reader = _reader(token)
        except BadToken as error:
            return _link_problem(request, error)
        return _page(request, PushSubscribeForm(initial={"for": token}), reader)
    form = PushSubscribeForm(request.POST)
    try:
        reader = _reader(form.data.get("for", ""))
    except BadToken as error:
        return _link_problem(request, error)
    if not form.is_valid():
        return _page(request, form, reader, status=400)
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _rate_limited(request, decision)
    point = manage.add_contact(
        "push",
        form.cleaned_data["endpoint"],
        component_ids=form.component_ids(),
        details={"p256dh": form.cleaned_data["p256dh"], "auth": form.cleaned_data["auth"]},
        subscriber=reader,
    )
    context = {
        "manage_url": manage_url(point.subscriber),
        "components": point.subscriber.components.all(),
        "endpoint": point.address,
    }
    return render(request, "notifier/push_subscribed.html", context)


def _stop(request: HttpRequest) -> HttpResponse:
    """Forget the browser whose endpoint and auth secret these are; the same answer when none."""
    form = BrowserForm(request.POST)
    if not form.is_valid():
        context = {"problems": form.problems()}
        return render(request, "notifier/push_stopped.html", context, status=400)
    point = ContactPoint.objects.filter(
        channel="push", address=form.cleaned_data["endpoint"]
    ).first()
    if point is not None:
        known = str((point.details or {}).get("auth", ""))
        if hmac.compare_digest(known.encode(), form.cleaned_data["auth"].encode()):
            forget(point, "the reader stopped it in their browser")
    return render(request, "notifier/push_stopped.html", {"problems": []})


RENEW_ANSWER = "If that was this site's subscription, it now uses the new one.\n"


# The service worker posts here when the browser replaces its subscription; it has no form
# token, and needs none: the old endpoint with its auth secret (known only to that browser)
# is the proof, as for stopping.
@csrf_exempt
@require_POST
def renew_push(request: HttpRequest) -> HttpResponse:
    if not PushChannel().is_configured():
        raise Http404("Push notifications are not offered here.")
    form = RenewForm(request.POST)
    if not form.is_valid():
        problems = "\n".join(form.problems())
        return HttpResponse(problems + "\n", status=400, content_type="text/plain")
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _rate_limited(request, decision)
    data = form.cleaned_data
    point = ContactPoint.objects.filter(channel="push", address=data["old_endpoint"]).first()
    if point is not None:
        known = str((point.details or {}).get("auth", ""))
        if hmac.compare_digest(known.encode(), data["old_auth"].encode()):
            details = {"p256dh": data["p256dh"], "auth": data["auth"]}
            manage.move_contact(point.pk, data["endpoint"], details)
    # The same answer whatever the proof: it tells nobody which endpoints we know.
    return HttpResponse(RENEW_ANSWER, content_type="text/plain")


@functools.cache
def _worker_source() -> bytes:
    return WORKER.read_bytes()


@require_http_methods(["GET", "HEAD"])
def push_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the site's root so its scope is the whole site."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers look for a new worker at least daily anyway; a short cache lets a fix in soon.
    response["Cache-Control"] = "public, max-age=300"
    return response
