"""A row as JSON and back, for any model: its concrete fields and its plain many-to-many.

A relation to a model the export holds is written as that row's key; a relation to one it
does not hold (a permission) as the target's natural key, which every site shares.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from actions.export.catalogue import exported_labels


class RowError(ValueError):
    """A value the model cannot take; the message names the field."""


def concrete_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def through_model(relation: models.ManyToManyField[Any, Any]) -> type[models.Model]:
    return cast(type[models.Model], relation.remote_field.through)


def plain_m2m(model: type[models.Model]) -> list[models.ManyToManyField[Any, Any]]:
    """Many-to-many fields kept in a table of their own making; an explicit through model
    (an incident's affected components) is exported as rows of its own."""
    return [
        f
        for f in model._meta.many_to_many
        if isinstance(f, models.ManyToManyField) and through_model(f)._meta.auto_created
    ]


def by_natural_key(related: type[models.Model]) -> bool:
    return related._meta.label_lower not in exported_labels()


def to_json(value: object) -> object:
    """A value as JSON keeps it: times in ISO 8601 with their offset, to the microsecond."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def row_fields(
    obj: models.Model, skipped: set[str], m2m: dict[str, list[Any]]
) -> dict[str, object]:
    """The row's concrete fields (less `skipped`) and its many-to-many members (`m2m`)."""
    fields: dict[str, object] = {}
    for field in concrete_fields(type(obj)):
        if field.name in skipped:
            continue
        if field.is_relation:
            fields[field.name] = getattr(obj, field.attname)
        elif isinstance(field, models.JSONField):
            fields[field.name] = field.value_from_object(obj)
        else:
            fields[field.name] = to_json(field.value_from_object(obj))
    fields.update(m2m)
    return fields


def m2m_members(relation: models.ManyToManyField[Any, Any], pks: list[Any]) -> dict[Any, list[Any]]:
    """For each of the rows `pks`, the keys of its members, sorted (one query or two)."""
    through = through_model(relation)
    source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    pairs = list(
        through._default_manager.filter(**{f"{source}_id__in": pks}).values_list(
            f"{source}_id", f"{target}_id"
        )
    )
    related = relation.related_model
    assert not isinstance(related, str)  # resolved once the apps are ready
    keys: dict[Any, Any] = {}
    if by_natural_key(related):
        members = related._default_manager.select_related().filter(pk__in={b for _, b in pairs})
        keys = {member.pk: list(member.natural_key()) for member in members}  # type: ignore[attr-defined]
    grouped: dict[Any, list[Any]] = {}
    for owner, member in pairs:
        grouped.setdefault(owner, []).append(keys.get(member, member))
    return {owner: sorted(members) for owner, members in grouped.items()}


def python_value(field: models.Field[Any, Any], value: object) -> object:
    """The file's value as the field holds it; a time must carry its zone."""
    if value is None:
        if not field.null:
            raise RowError(f"{field.name} cannot be empty")
        return None
    if isinstance(field, models.JSONField):
        return value
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    try:
        converted = target.to_python(value)
    except ValidationError as error:
        raise RowError(f"{field.name}: {'; '.join(error.messages)}") from None
    if isinstance(converted, datetime.datetime) and converted.tzinfo is None:
        raise RowError(f"{field.name} has no zone ({value!r}): times carry their offset")
    return converted


def m2m_keys(relation: models.ManyToManyField[Any, Any], value: object) -> list[object]:
    """The related rows' keys a many-to-many value names (natural keys are looked up)."""
    if not isinstance(value, list):
        raise RowError(f"{relation.name} is a list")
    related = relation.related_model
    assert not isinstance(related, str)
    if not by_natural_key(related):
        return [python_value(related._meta.pk, key) for key in value]
    keys = []
    for natural in value:
        try:
            keys.append(related._default_manager.get_by_natural_key(*natural).pk)  # type: ignore[attr-defined]
        except (ObjectDoesNotExist, TypeError):
            raise RowError(f"{relation.name}: no {related._meta.label} {natural!r}") from None
    return keys
