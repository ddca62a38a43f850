"""Staff accounts in the console (admins): list, add, change role, reset 2FA, deactivate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from console import accounts
from console.access import admin_view
from console.forms.fields import apply_errors
from console.forms.users import NewStaffForm, RoleForm
from console.roles import Role, held_role
from incidents.models import AuditEntry


def _row(user: Any) -> dict[str, Any]:
    return {
        "user": user,
        "role": held_role(user),
        "two_factor": accounts.two_factor_state(user),
    }


@admin_view
def user_list(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.prefetch_related("groups").order_by("-is_active", "username")
    return render(request, "console/users/list.html", {"rows": [_row(u) for u in users]})


@admin_view
@sensitive_post_parameters("password")
@sensitive_variables("password")
def user_new(request: HttpRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"]
        try:
            user = accounts.create_staff_user(
                username=data["username"],
                email=data["email"],
                role=Role(data["role"]),
                password=password,
                actor=request.user,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # Rendered, not redirected: the generated password is shown this once, never stored.
            return render(
                request,
                "console/users/created.html",
                {
                    "new_user": user,
                    "password": password if data["password_mode"] == "generate" else "",
                },
            )
    return render(
        request, "console/users/new.html", {"form": form}, status=400 if form.is_bound else 200
    )


@admin_view
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    row = _row(user)
    return render(
        request,
        "console/users/detail.html",
        {
            **row,
            "role_form": RoleForm(initial={"role": row["role"].value if row["role"] else ""}),
            "audit": AuditEntry.objects.filter(
                object_type=user._meta.label_lower, object_id=str(user.pk)
            ).exclude(action__in=["staff.login", "staff.password_ok", "staff.logout"])[:30],
        },
    )


def _act(request: HttpRequest, pk: int, act: Callable[[Any], str]) -> HttpResponse:
    """Run one account act; its refusal becomes a message on the account's page."""
    user = get_object_or_404(get_user_model(), pk=pk)
    try:
        done = act(user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("console:user", user.pk)


@admin_view
@require_POST
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    form = RoleForm(request.POST)

    def act(user: Any) -> str:
        if not form.is_valid():
            raise ValidationError("Choose editor or admin.")
        role = Role(form.cleaned_data["role"])
        accounts.change_role(user, role, actor=request.user)
        return f"{user.get_username()} is now an {role.label.lower()}."

    return _act(request, pk, act)


@admin_view
@require_POST
def user_reset_2fa(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any) -> str:
        accounts.reset_two_factor(user, actor=request.user)
        return (
            f"{user.get_username()}'s old authenticator no longer works; they set up a new one "
            "at their next login."
        )

    return _act(request, pk, act)


@admin_view
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any) -> str:
        accounts.deactivate(user, actor=request.user)
        return (
            f"{user.get_username()} can no longer sign in, and their API tokens are refused;"
            " their history stays."
        )

    return _act(request, pk, act)


@admin_view
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any) -> str:
        accounts.reactivate(user, actor=request.user)
        return f"{user.get_username()} can sign in again."

    return _act(request, pk, act)
