"""Two roles: editors publish (incidents, maintenance, posts); admins also run the site.

A role is membership of a Django group; superusers are admins.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission, User
from django.db.models import Q

# What the Admins group may do in the Django admin, as the README promises: webhook endpoints,
# API tokens, notices and their deliveries (change: the "retry failed" button), the mirror
# targets. Editors hold none of these (nor is_staff): they work in the console only.
ADMIN_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("notifier", "webhookendpoint"): ("view", "add", "change", "delete"),
    ("incidents", "apitoken"): ("view", "add", "change", "delete"),
    ("notifier", "notice"): ("view", "change"),
    ("notifier", "delivery"): ("view",),
    ("mirror", "mirrortarget"): ("view",),
}


class Role(StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def group_name(self) -> str:
        return {Role.EDITOR: "Editors", Role.ADMIN: "Admins"}[self]

    @property
    def label(self) -> str:
        return {Role.EDITOR: "Editor", Role.ADMIN: "Admin"}[self]


def held_role(user: User | AnonymousUser) -> Role | None:
    """The role an account holds, whether or not it is active."""
    if user.is_superuser:
        return Role.ADMIN
    groups = set(user.groups.values_list("name", flat=True))
    for role in (Role.ADMIN, Role.EDITOR):
        if role.group_name in groups:
            return role
    return None


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The role a signed-in, active user may use now."""
    if not user.is_authenticated or not user.is_active:
        return None
    # AUTH_USER_MODEL is auth.User, so a signed-in user is one.
    return held_role(cast(User, user))


class _VerifiableUser(Protocol):
    def is_verified(self) -> bool: ...


def second_factor_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this session passed a second factor (django_otp's middleware decides it)."""
    # OTPMiddleware gives request.user, signed in or not, an is_verified() no type declares.
    return cast(_VerifiableUser, user).is_verified()


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    held = role_of(user)
    return held is not None and (held == role or held == Role.ADMIN)


def assign_role(user: User, role: Role) -> None:
    """Make `user` an editor or an admin (admins may also use the Django admin)."""
    groups = [Group.objects.get_or_create(name=r.group_name)[0] for r in Role]
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=role.group_name))
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])


def admin_permissions() -> list[Permission]:
    wanted = Q(pk__in=[])
    for (app_label, model), acts in ADMIN_PERMISSIONS.items():
        codenames = [f"{act}_{model}" for act in acts]
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    return list(Permission.objects.filter(wanted))


def grant_role_permissions() -> None:
    """Give the Admins group its admin permissions (idempotent; run after every migrate)."""
    admins = Group.objects.get_or_create(name=Role.ADMIN.group_name)[0]
    editors = Group.objects.get_or_create(name=Role.EDITOR.group_name)[0]
    granted = admin_permissions()
    admins.permissions.add(*granted)
    editors.permissions.remove(*granted)
