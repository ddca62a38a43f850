"""Login, second factor, logout."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from console.forms.auth import TokenForm
from console.roles import second_factor_verified
from console.twofactor import confirmed_device, pending_device, qr_svg, secret_base32
from incidents.auditing import record_audit


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("console:dashboard")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and second_factor_verified(request.user):
        return redirect(_next(request))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(f"{reverse('console:verify')}?{urlencode({'next': _next(request)})}")
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        record_audit("staff.password_ok", user, actor=user)
        return redirect(f"{reverse('console:verify')}?{urlencode({'next': _next(request)})}")
    return render(request, "console/login.html", {"form": form, "next": _next(request)})


@csrf_protect
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("console:login")
    if second_factor_verified(user):
        return redirect(_next(request))
    device = confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = pending_device(user)
    if device is None:
        return render(request, "console/no_device.html", status=403)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_audit("staff.enrolled" if enrolling else "staff.login", user, actor=user)
            return redirect(_next(request))
        record_audit("staff.bad_code", user, actor=user)
        form.add_error(
            "token",
            "That code did not match. Check your device's clock and try the newest code."
            if allowed
            else "Too many wrong codes: wait a minute, then try the newest code.",
        )
    context = {"form": form, "next": _next(request), "enrolling": enrolling}
    if enrolling:
        context |= {"qr": qr_svg(device), "secret": secret_base32(device)}
    return render(request, "console/verify.html", context)


@require_POST
@csrf_protect
def logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_audit("staff.logout", request.user, actor=request.user)
    auth_logout(request)
    return redirect(settings.LOGIN_URL)
