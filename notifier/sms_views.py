"""The SMS pages: subscribing with a code sent by SMS, and the providers' inbound webhooks.

Apart from notifier/sms/, which knows no channel: these pages end in the contact points.
"""

from __future__ import annotations

import hmac
import logging
import math

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from incidents.links import absolute
from notifier import sms, subscriptions
from notifier.channels.contact import forget, manage_url
from notifier.forms import ComponentsForm
from notifier.manage import add_contact, subscriber_for
from notifier.models import ContactPoint, Subscriber
from notifier.ratelimit import Decision
from notifier.signed_links import BadToken
from notifier.sms import codes, twilio
from notifier.sms.numbers import BadNumber, e164
from statuspage.client import client_address

logger = logging.getLogger(__name__)

# "STOPP" is Norwegian; the rest are the words carriers and Twilio treat as opting out.
STOP_WORDS = {"STOP", "STOPP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class NumberForm(ComponentsForm):
    number = forms.CharField(
        max_length=40,
        label=gettext_lazy("Your mobile number"),
        error_messages={
            "required": gettext_lazy("Enter the mobile number the notices should go to.")
        },
    )
    field_order = ["number", "components"]

    def clean_number(self) -> str:
        try:
            return e164(self.cleaned_data["number"])
        except BadNumber as error:
            raise ValidationError(str(error), code="bad_number") from None


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label=gettext_lazy("The code we sent you"),
        error_messages={"required": gettext_lazy("Enter the six-digit code from the SMS.")},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(_("The code is six digits, such as 123456."), code="format")
        return code


def _reader(token: str) -> Subscriber | None:
    return subscriber_for(token) if token else None


def _problem(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "notifier/link_problem.html", {"message": message}, status=400)


def _limited(request: HttpRequest, decision: Decision, message: str) -> HttpResponse:
    context = {"message": message, "minutes": decision.retry_after_minutes}
    response = render(request, "notifier/sms_limited.html", context, status=429)
    response["Retry-After"] = str(math.ceil(decision.retry_after))
    return response


def _number_page(
    request: HttpRequest, form: NumberForm, manage: str, status: int = 200
) -> HttpResponse:
    context = {"form": form, "manage": manage}
    return render(request, "notifier/subscribe_sms.html", context, status=status)


def _code_page(
    request: HttpRequest, form: CodeForm, wish: codes.PendingNumber, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "pending": codes.pending_token(wish),
        "number": wish.number,
        "manage": wish.manage,
    }
    return render(request, "notifier/subscribe_sms_code.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_sms(request: HttpRequest) -> HttpResponse:
    if sms.missing_settings():
        raise Http404("SMS is not offered on this site.")
    manage = request.POST.get("for") or request.GET.get("for") or ""
    try:
        _reader(manage)
    except BadToken as error:
        return _problem(request, str(error))
    if request.method == "POST" and "pending" in request.POST:
        return _check_code(request)
    form = NumberForm(request.POST or None)
    if request.method != "POST":
        return _number_page(request, form, manage)
    if not form.is_valid():
        return _number_page(request, form, manage, status=400)
    number = form.cleaned_data["number"]
    decision = subscriptions.admit(client_address(request))
    if not decision.allowed:
        return _limited(request, decision, _("This connection has asked for too many codes."))
    decision = codes.admit_number(number)
    if not decision.allowed:
        return _limited(request, decision, _("This number has been sent too many codes."))
    code = codes.new_code()
    try:
        with sms.session() as http:
            sms.send(http, number, codes.code_message(code))
    except sms.OptedOut:
        form.add_error(
            "number",
            _(
                "This number has replied STOP to our messages. Text START to the number our "
                "notices come from, then try again."
            ),
        )
        return _number_page(request, form, manage, status=400)
    except sms.SendFailed as error:
        logger.warning("Could not send an SMS code: %s", error)
        form.add_error(
            None,
            _(
                "We could not send an SMS to that number just now. "
                "Please try again in a few minutes."
            ),
        )
        return _number_page(request, form, manage, status=503 if not error.permanent else 400)
    wish = codes.pending(number, form.component_ids(), code, manage)
    return _code_page(request, CodeForm(), wish)


def _check_code(request: HttpRequest) -> HttpResponse:
    try:
        wish = codes.read_pending(request.POST["pending"])
    except BadToken as error:
        return _problem(request, str(error))
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, form, wish, status=400)
    decision = codes.take_try(wish)
    if not decision.allowed:
        return _problem(request, _("Too many wrong codes. Please ask for a new one."))
    if not codes.matches(wish, form.cleaned_data["code"]):
        form.add_error("code", _("That code is not the one we sent. Check the SMS and try again."))
        return _code_page(request, form, wish, status=400)
    if codes.withdrawn(wish):
        return _problem(request, str(codes.WITHDRAWN))
    if not codes.spend(wish):
        return _problem(request, str(codes.ALREADY_USED))
    try:
        reader = _reader(wish.manage)
    except BadToken as error:
        return _problem(request, str(error))
    point = add_contact("sms", wish.number, component_ids=wish.component_ids, subscriber=reader)
    components = point.subscriber.components.all()
    context = {"point": point, "components": components, "manage_url": manage_url(point.subscriber)}
    return render(request, "notifier/subscribe_sms_done.html", context)


def is_stop(body: str) -> bool:
    words = body.split(maxsplit=1)
    return bool(words) and words[0].strip(".!,").upper() in STOP_WORDS


def heard(sender: str, body: str) -> bool:
    """Forget the sender's number if the message asks to stop; whether it was forgotten."""
    if not is_stop(body):
        return False
    try:
        number = e164(sender)
    except BadNumber:
        return False
    codes.withdraw(number)
    point = ContactPoint.objects.filter(channel="sms", address=number).first()
    if point is None:
        return False
    forget(point, "the number replied STOP")
    return True


@csrf_exempt  # Twilio posts without a session; its signature is the key
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's incoming-message webhook, signed with the account's auth token."""
    # Behind a proxy the URL Twilio signed is the public one; SITE_URL says it.
    urls = [absolute(request.get_full_path()), request.build_absolute_uri()]
    params = {name: request.POST.getlist(name) for name in request.POST}
    if not twilio.signed(urls, params, request.headers.get("X-Twilio-Signature", "")):
        return HttpResponseForbidden("Bad signature.")
    heard(request.POST.get("From", ""), request.POST.get("Body", ""))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt  # 46elks posts without a session and signs nothing; the secret URL is the key
@require_POST
def elks_inbound(request: HttpRequest, secret: str) -> HttpResponse:
    """46elks' incoming-SMS webhook; an empty 200, as any text is sent back as a reply."""
    expected = settings.SMS_INBOUND_SECRET
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        return HttpResponseForbidden("Bad secret.")
    heard(request.POST.get("from", ""), request.POST.get("message", ""))
    return HttpResponse(b"")
