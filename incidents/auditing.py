"""Recording staff and system acts in the audit log, inside the act's own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from incidents.models.audit import AuditEntry

Snapshot = dict[str, Any]
# How the acting person reached the act, when not through the console ("API token Nagios").
_via: ContextVar[str] = ContextVar("audit_via", default="")


@contextmanager
def acting_via(channel: str) -> Iterator[None]:
    reset = _via.set(channel)
    try:
        yield
    finally:
        _via.reset(reset)


def snapshot(obj: models.Model, **extra: object) -> Snapshot:
    """The object's stored fields as JSON-safe values, plus whatever the act adds."""
    values: dict[str, object] = {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        # Translations have an audit entry of their own, a line per text (actions.translate).
        if field.attname not in {"id", "created_at", "translations"}
    }
    values.update(extra)
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def authenticated_user(user: AbstractBaseUser | AnonymousUser | None) -> User | None:
    """The user to store as actor or author: nobody when the user is anonymous."""
    if user is None or not user.is_authenticated:
        return None
    # AUTH_USER_MODEL is auth.User, so an authenticated user is one.
    return cast(User, user)


def record_audit(
    action: str,
    obj: models.Model,
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    user = authenticated_user(actor)
    name = user.get_username() if user is not None else ""
    if via := _via.get():
        name = f"{name} ({via})" if name else via
    return AuditEntry.objects.create(
        actor=user,
        actor_name=name[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )
