"""SourceKey: one row per (source, kind, id there), pointing at exactly the row of its kind."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from importers.models import SourceKey
from tests.factories import publish_post

pytestmark = pytest.mark.django_db


def test_a_source_item_is_kept_once():
    post = publish_post()
    SourceKey.objects.create(
        source="wordpress:https://blog.example",
        kind="post",
        source_id="7",
        post=post,
        imported_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceKey.objects.create(
            source="wordpress:https://blog.example",
            kind="post",
            source_id="7",
            post=post,
            imported_at=timezone.now(),
        )
    found = SourceKey.objects.of("wordpress:https://blog.example", "post", 7)
    assert found is not None and found.target == post


def test_a_key_must_point_at_a_row_of_its_own_kind():
    post = publish_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceKey.objects.create(
            source="s", kind="incident", source_id="1", post=post, imported_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceKey.objects.create(source="s", kind="post", source_id="1", imported_at=timezone.now())


def test_deleting_the_row_forgets_its_key():
    post = publish_post()
    SourceKey.objects.create(
        source="s", kind="post", source_id="1", post=post, imported_at=timezone.now()
    )
    post.delete()
    assert not SourceKey.objects.exists()
