"""Staff accounts: add, change role, reset the second factor, deactivate; each one audited.

Accounts are never deleted, so the audit log keeps pointing at who did what.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from console.roles import Role, assign_role, held_role, role_of
from console.twofactor import confirmed_device, pending_device, reset_device
from incidents.auditing import record_audit


def _state(user: Any) -> dict[str, object]:
    """What the audit log keeps about an account (never the password hash)."""
    role = held_role(user)
    return {
        "username": user.get_username(),
        "email": user.email,
        "role": role.value if role else "",
        "is_active": user.is_active,
        "two_factor": two_factor_state(user),
    }


def two_factor_state(user: AbstractBaseUser) -> str:
    if confirmed_device(user) is not None:
        return "confirmed"
    if pending_device(user) is not None:
        return "pending"
    return "none"


def active_admins() -> QuerySet:
    users = get_user_model()
    return users.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name=Role.ADMIN.group_name)
    )


def alert_recipients() -> QuerySet:
    """Active staff accounts (either role) with an address: who hears about a late update."""
    users = get_user_model()
    roles = [role.group_name for role in Role]
    return (
        users.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(groups__name__in=roles))
        .distinct()
        .order_by("pk")
    )


def _keep_an_admin(user: Any, actor: Any) -> None:
    """Refuse to leave the console without an active admin."""
    if role_of(user) != Role.ADMIN:
        return
    if not active_admins().exclude(pk=user.pk).exists():
        who = "yourself" if actor is not None and actor.pk == user.pk else user.get_username()
        raise ValidationError(
            f"You cannot do that to {who}: it is the last active admin. "
            "Make someone else an admin first."
        )


@transaction.atomic
def create_staff_user(
    *, username: str, email: str, role: Role, password: str, actor: Any
) -> AbstractBaseUser:
    """A new console user who sets up their authenticator at first login."""
    users = get_user_model()
    username = username.strip()
    if users.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"There is already a user called {username!r}."})
    user = users(username=username, email=email.strip())
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save()
    assign_role(user, role)
    reset_device(user)
    record_audit("staff.created", user, actor=actor, after=_state(user))
    return user


@transaction.atomic
def change_role(user: Any, role: Role, *, actor: Any) -> None:
    if user.is_superuser:
        raise ValidationError(
            f"{user.get_username()} is a superuser, always an admin: change that in the Django "
            "admin."
        )
    if held_role(user) == role:
        return
    before = _state(user)
    if role != Role.ADMIN:
        _keep_an_admin(user, actor)
    assign_role(user, role)
    record_audit("staff.role", user, actor=actor, before=before, after=_state(user))


@transaction.atomic
def reset_two_factor(user: Any, *, actor: Any) -> None:
    """A new authenticator to set up at next login (a lost phone); the old one stops working."""
    before = _state(user)
    reset_device(user)
    record_audit("staff.reset_2fa", user, actor=actor, before=before, after=_state(user))


@transaction.atomic
def deactivate(user: Any, *, actor: Any) -> None:
    """The account can no longer sign in, and its open sessions stop working."""
    if not user.is_active:
        return
    _keep_an_admin(user, actor)
    before = _state(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit("staff.deactivated", user, actor=actor, before=before, after=_state(user))


@transaction.atomic
def reactivate(user: Any, *, actor: Any) -> None:
    if user.is_active:
        return
    before = _state(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_audit("staff.reactivated", user, actor=actor, before=before, after=_state(user))
