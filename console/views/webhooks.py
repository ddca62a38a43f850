"""Webhook endpoints in the console (admins): list, register, disable, enable, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

import actions
from console.access import admin_view
from console.forms.fields import apply_errors
from console.forms.integrations import WebhookForm
from notifier.models import WebhookEndpoint


@admin_view
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.prefetch_related("components").order_by("-id")
    return render(request, "console/webhooks/list.html", {"endpoints": endpoints})


@admin_view
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = actions.register_webhook(**form.cleaned_data, author=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # Rendered, not redirected: the secret is on this answer alone, never shown again.
            return render(request, "console/webhooks/created.html", {"endpoint": endpoint})
    status = 400 if form.is_bound else 200
    return render(request, "console/webhooks/new.html", {"form": form}, status=status)


def _set_enabled(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    actions.set_webhook_enabled(endpoint, enabled, author=request.user)
    state = "takes notices again" if enabled else "is disabled: it gets no notices"
    messages.success(request, f"{endpoint.url} {state}.")
    return redirect("console:webhooks")


@admin_view
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_enabled(request, pk, True)


@admin_view
@require_POST
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_enabled(request, pk, False)


@admin_view
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page; the POST from it deletes."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        actions.delete_webhook(endpoint, author=request.user)
        messages.success(request, f"Deleted the webhook to {endpoint.url}.")
        return redirect("console:webhooks")
    return render(request, "console/webhooks/delete.html", {"endpoint": endpoint})
