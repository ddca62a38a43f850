from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifier import manage, subscriptions, tasks
from notifier.forms import SubscribeForm
from notifier.ratelimit import Decision
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


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method != "POST":
        return render(request, "notifier/subscribe.html", {"form": form})
    if not form.is_valid():
        return render(request, "notifier/subscribe.html", {"form": form}, status=400)
    # Only a request that would send a mail counts: a typo does not use up the allowance.
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _rate_limited(request, decision)
    wish = SubscribeRequest(form.cleaned_data["email"], form.component_ids())
    tasks.request_confirmation(wish)
    # The same answer whether or not the address is subscribed already: no enumeration.
    return render(request, "notifier/subscribe_sent.html", {"email": wish.email})


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not confirm for the reader.
    try:
        wish = subscriptions.read_confirmation(token)
        if request.method != "POST":
            change = subscriptions.change_on_confirm(wish)
            return render(request, "notifier/confirm.html", {"email": wish.email, "change": change})
        subscriber, created = subscriptions.confirm(wish)
    except BadToken as error:
        return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)
    return render(
        request,
        "notifier/confirmed.html",
        {"subscriber": subscriber, "created": created, "components": subscriber.components.all()},
    )


@csrf_exempt  # RFC 8058 one-click: the mail provider posts without a session; the token is the key
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method != "POST":
            subscriptions.read_unsubscribe_token(token)
            return render(request, "notifier/unsubscribe.html")
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


@require_http_methods(["GET", "HEAD", "POST"])
def manage_subscription(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = manage.subscriber_for(token)
    except BadToken as error:
        return render(request, "notifier/link_problem.html", {"message": str(error)}, status=400)
    if request.method == "POST" and request.POST.get("action") == "leave":
        manage.leave(subscriber)
        return render(request, "notifier/unsubscribed.html", {"removed": True})
    context = {
        "subscriber": subscriber,
        "components": subscriber.components.all(),
        "contact_points": subscriber.contact_points.all(),
    }
    return render(request, "notifier/manage.html", context)
