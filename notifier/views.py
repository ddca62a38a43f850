from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifier import manage, subscriptions, tasks
from notifier.channels.base import Channel
from notifier.forms import ComponentsForm, SubscribeForm
from notifier.own_domain import own_domain_of
from notifier.ratelimit import Decision
from notifier.registry import subscribe_ways
from notifier.signed_links import BadToken, SubscribeRequest, read_webhook_unsubscribe_token
from statuspage.client import client_address


def _rate_limited(request: HttpRequest, decision: Decision, *, chat: bool = False) -> HttpResponse:
    context = {
        "minutes": decision.retry_after_minutes,
        "limit": settings.SUBSCRIBE_RATE_LIMIT,
        "chat": chat,
    }
    response = render(request, "notifier/rate_limited.html", context, status=429)
    response["Retry-After"] = str(math.ceil(decision.retry_after))
    return response


def _link_problem(request: HttpRequest, error: BadToken) -> HttpResponse:
    return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)


def _ways_beside_email() -> list[Channel]:
    return [way for way in subscribe_ways() if way.name != "email"]


def _subscribe_page(
    request: HttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context["own_domains"] = ",".join(settings.OWN_MAIL_DOMAINS)
    context["other_ways"] = _ways_beside_email()
    return render(request, "notifier/subscribe.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    # ?for=<manage token>: a reader adding (or changing) their address from their own page.
    for_token = (request.POST if request.method == "POST" else request.GET).get("for", "")
    try:
        joining = manage.subscriber_for(for_token) if for_token else None
    except BadToken as error:
        return _link_problem(request, error)
    form = SubscribeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "for_token": for_token, "joining": joining}
    if request.method != "POST":
        return _subscribe_page(request, context)
    if not form.is_valid():
        return _subscribe_page(request, context, status=400)
    # Only a request that would send a mail counts: a typo does not use up the allowance.
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _rate_limited(request, decision)
    email = form.cleaned_data["email"]
    if joining is not None:
        wish = SubscribeRequest.joining(email, for_token)
    else:
        wish = SubscribeRequest(email, form.component_ids())
    tasks.request_confirmation(wish)
    # The same answer whether or not the address is subscribed already: no enumeration.
    sent = {
        "email": wish.email,
        "own_domain": own_domain_of(wish.email),
        "other_ways": _ways_beside_email(),
        "for_token": for_token,
    }
    return render(request, "notifier/subscribe_sent.html", sent)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not confirm for the reader.
    try:
        wish = subscriptions.read_confirmation(token)
        joining = wish.subscriber_id is not None
        if request.method != "POST":
            change = subscriptions.change_on_confirm(wish)
            context = {"email": wish.email, "change": change, "joining": joining}
            return render(request, "notifier/confirm.html", context)
        subscriber, created = subscriptions.confirm(wish)
    except BadToken as error:
        return _link_problem(request, error)
    context = {
        "subscriber": subscriber,
        "created": created,
        "joined": joining,
        "components": subscriber.components.all(),
        "manage_path": reverse("manage_subscription", args=[manage.token_of(subscriber)]),
    }
    return render(request, "notifier/confirmed.html", context)


@csrf_exempt  # RFC 8058 one-click: the mail provider posts without a session; the token is the key
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method != "POST":
            manage_token = subscriptions.manage_token_for_unsubscribe(token)
            path = reverse("manage_subscription", args=[manage_token]) if manage_token else ""
            return render(request, "notifier/unsubscribe.html", {"manage_path": path})
        removed = subscriptions.unsubscribe(token)
    except BadToken as error:
        return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)
    return render(request, "notifier/unsubscribed.html", {"removed": removed})


@csrf_exempt  # the receiver's owner, or their code, posts without a session; the token is the key
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method != "POST":
            read_webhook_unsubscribe_token(token)
            return render(request, "notifier/webhook_unsubscribe.html")
        removed = subscriptions.remove_webhook(token)
    except BadToken as error:
        return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)
    return render(request, "notifier/webhook_unsubscribed.html", {"removed": removed})


# What the reader's page says after a change; `?done=` picks one, never echoed itself.
DONE = {
    "components": gettext_lazy("Saved: you now hear about the services below."),
    "language": gettext_lazy("Saved: your notices are now written in the language below."),
    "removed": gettext_lazy("Removed: no more notices go there."),
}


def _left(request: HttpRequest) -> HttpResponse:
    return render(request, "notifier/unsubscribed.html", {"removed": True, "left": True})


@require_http_methods(["GET", "HEAD", "POST"])
def manage_subscription(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = manage.subscriber_for(token)
    except BadToken as error:
        return _link_problem(request, error)
    form = ComponentsForm.showing(subscriber.components.values_list("pk", flat=True))
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "leave":
            manage.leave(subscriber)
            return _left(request)
        if action == "remove":
            if not manage.remove_contact(subscriber, request.POST.get("contact", "")):
                return _left(request)  # that was the last way to reach them
            return HttpResponseRedirect(f"{request.path}?done=removed", status=303)
        if action == "language" and manage.choose_language(
            subscriber, request.POST.get("language", "")
        ):
            return HttpResponseRedirect(f"{request.path}?done=language", status=303)
        form = ComponentsForm(request.POST)
        if action == "components" and form.is_valid():
            manage.choose_components(subscriber, form.component_ids())
            return HttpResponseRedirect(f"{request.path}?done=components", status=303)
        status = 400
    context: dict[str, Any] = {
        "subscriber": subscriber,
        "token": token,
        "form": form,
        "contacts": manage.contacts(subscriber),
        "components": subscriber.components.all(),
        "ways": subscribe_ways(),
        "done": DONE.get(request.GET.get("done", "")),
        "languages": settings.LANGUAGES,
    }
    return render(request, "notifier/manage.html", context, status=status)
