"""An uploaded export waits as an ImportReview: staff accept, change or skip items, then apply."""

from __future__ import annotations

from collections import Counter
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from importers.models import ImportReview
from importers.wordpress import KINDS, SKIP, Options, read_plan
from importers.wordpress_apply import apply_plan
from incidents.timefmt import site_zone


def start_review(
    stream: IO[bytes], options: Options, user: AbstractBaseUser | AnonymousUser
) -> ImportReview:
    """Read the export into a plan kept for review; nothing of it is written yet."""
    plan = read_plan(stream, options)
    return ImportReview.objects.create(
        source=plan["source"],
        file_name=options.file_name,
        zone=site_zone().key,
        plan=plan,
        uploaded_by=user if user.is_authenticated else None,  # type: ignore[misc]
        uploaded_at=timezone.now(),
    )


def entry_of(review: ImportReview, source_id: str) -> dict[str, Any] | None:
    return next((e for e in review.plan["items"] if e["source_id"] == source_id), None)


def chosen_kind(review: ImportReview, entry: dict[str, Any]) -> str:
    return str(review.choices.get(entry["source_id"], entry["kind"]))


def choose(review: ImportReview, source_id: str, kind: str) -> dict[str, Any]:
    """Record staff's choice for one item; the entry it was made for."""
    if review.applied_at is not None:
        raise ValidationError("This import has been applied; its choices are final.")
    entry = entry_of(review, source_id)
    if entry is None:
        raise ValidationError(f"The export has no post {source_id!r}.")
    if kind != SKIP and (kind not in KINDS or kind not in entry["possible_kinds"]):
        raise ValidationError(f"{entry['label']} cannot become {kind!r}.")
    with transaction.atomic():
        locked = ImportReview.objects.select_for_update().get(pk=review.pk)
        locked.choices[source_id] = kind
        locked.save(update_fields=["choices"])
    review.choices = locked.choices
    return entry


def apply_review(review: ImportReview, user: AbstractBaseUser | AnonymousUser) -> Counter[str]:
    """Write the plan as chosen, once; ItemError (nothing written) if an item is refused."""
    with transaction.atomic():
        locked = ImportReview.objects.select_for_update().get(pk=review.pk)
        if locked.applied_at is not None:
            raise ValidationError("This import has already been applied.")
        outcome = apply_plan(locked.source, locked.plan["items"], locked.choices)
        locked.applied_at = timezone.now()
        locked.applied_by = user if user.is_authenticated else None  # type: ignore[assignment]
        locked.save(update_fields=["applied_at", "applied_by"])
    return outcome
