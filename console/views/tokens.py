"""Staff API tokens in the console (admins): list, issue, disable, enable, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

import actions
from console.access import admin_view
from console.forms.fields import apply_errors
from console.forms.integrations import ApiTokenForm
from incidents.models import ApiToken


@admin_view
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.select_related("created_by")
    return render(request, "console/tokens/list.html", {"tokens": tokens})


@admin_view
@sensitive_variables("secret")
def token_new(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = actions.issue_api_token(
                name=data["name"], scopes=data["scopes"], user=data["user"], author=request.user
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # Rendered, not redirected: only the token's hash is stored, so this is the one time.
            context = {"token": token, "secret": secret}
            return render(request, "console/tokens/created.html", context)
    status = 400 if form.is_bound else 200
    return render(request, "console/tokens/new.html", {"form": form}, status=status)


def _set_enabled(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    actions.set_api_token_enabled(token, enabled, author=request.user)
    state = "works again" if enabled else "is disabled: calls with it are refused"
    messages.success(request, f"The token {token.name} {state}.")
    return redirect("console:tokens")


@admin_view
@require_POST
def token_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_enabled(request, pk, True)


@admin_view
@require_POST
def token_disable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_enabled(request, pk, False)


@admin_view
def token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page; the POST from it deletes."""
    token = get_object_or_404(ApiToken, pk=pk)
    if request.method == "POST":
        actions.delete_api_token(token, author=request.user)
        messages.success(request, f"Deleted the token {token.name}.")
        return redirect("console:tokens")
    return render(request, "console/tokens/delete.html", {"token": token})
