"""Every model is either exported or left out with a reason, so a new model is a decision."""

from __future__ import annotations

import importlib
from pathlib import Path

from django.apps import apps
from django.db import models

from actions.export.catalogue import (
    EXCLUDED,
    EXPORTED,
    SEEDED_GROUP_NAMES,
    SEEDED_TEMPLATE_NAMES,
    exported_labels,
)
from actions.export.rows import concrete_fields, plain_m2m


def test_every_model_is_exported_or_excluded_with_a_reason():
    every = {model._meta.label_lower for model in apps.get_models() if not model._meta.proxy}
    exported = set(exported_labels())

    assert not every - exported - set(EXCLUDED), "export it (catalogue.EXPORTED) or say why not"
    assert not exported & set(EXCLUDED)
    assert not (exported | set(EXCLUDED)) - every, "a model the catalogue names is gone"
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_our_apps_are_all_covered_including_apps_added_later():
    ours = ("incidents", "notifier", "console", "staffapi", "actions", "statuspage")
    for config in apps.get_app_configs():
        if config.name.split(".")[0] not in ours:
            continue
        for model in config.get_models():
            label = model._meta.label_lower
            assert label in exported_labels() or label in EXCLUDED, label


def test_every_row_comes_after_the_rows_it_points_to():
    seen: set[str] = set()
    for entry in EXPORTED:
        model = entry.model
        targets = [f.related_model for f in concrete_fields(model) if f.is_relation]
        targets += [f.related_model for f in plain_m2m(model)]
        for target in targets:
            assert isinstance(target, type)
            label = target._meta.label_lower
            if label in exported_labels():
                assert label in seen or label == entry.label, f"{entry.label} -> {label}"
            else:  # written by natural key: the target site has the same rows
                assert hasattr(target._default_manager, "get_by_natural_key"), label
        seen.add(entry.label)


def test_explicit_through_models_are_exported_as_rows_of_their_own():
    for entry in EXPORTED:
        for relation in entry.model._meta.many_to_many:
            assert isinstance(relation, models.ManyToManyField)
            through = relation.remote_field.through
            assert isinstance(through, type)
            if not through._meta.auto_created:
                assert through._meta.label_lower in exported_labels()


def test_the_seeded_names_are_the_ones_the_migrations_make():
    templates = importlib.import_module("console.migrations.0003_seed_message_templates")
    groups = importlib.import_module("console.migrations.0002_role_groups")

    assert {t["name"] for t in templates.TEMPLATES} == SEEDED_TEMPLATE_NAMES
    source = Path(str(groups.__file__)).read_text()
    assert all(f'"{name}"' in source for name in SEEDED_GROUP_NAMES)
