"""Importing a WordPress site (admins): upload, review each item, apply."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.access import admin_view
from console.forms.imports import WordPressUploadForm
from importers.errors import SourceError
from importers.models import ImportReview
from importers.review import publication, steps
from importers.wordpress import SKIP, Options
from importers.wordpress_apply import ItemError
from importers.wordpress_review import apply_review, choose, chosen_kind, start_review
from statuspage.http_types import HtmxRequest

ITEMS_PER_PAGE = 50


@admin_view
def import_list(request: HttpRequest) -> HttpResponse:
    form = WordPressUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["export"]
        options = Options(
            file_name=upload.name, zone=data["zone"], status_category=data["status_category"]
        )
        try:
            review = start_review(upload, options, request.user)
        except SourceError as error:
            form.add_error("export", str(error))
        else:
            return redirect("console:import_review", review.pk)
    reviews = ImportReview.objects.select_related("uploaded_by", "applied_by").order_by("-id")
    status = 400 if form.is_bound else 200
    context = {"form": form, "reviews": reviews[:20]}
    return render(request, "console/imports/list.html", context, status=status)


def _row(review: ImportReview, entry: dict[str, Any]) -> dict[str, Any]:
    kind = chosen_kind(review, entry)
    return {
        "entry": entry,
        "kind": kind,
        "changed": kind != entry["kind"],
        "choices": [*entry["possible_kinds"], SKIP],
        "publication": publication(entry),
        "steps": steps(entry, kind) if kind != SKIP else [],
    }


@admin_view
def import_review(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(ImportReview, pk=pk)
    page = Paginator(review.plan["items"], ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"review": review, "page": page, "rows": [_row(review, e) for e in page]}
    return render(request, "console/imports/review.html", context)


@admin_view
@require_POST
def import_choice(request: HtmxRequest, pk: int, source_id: str) -> HttpResponse:
    """One item's kind (or skip); an htmx request gets its row back, redrawn."""
    review = get_object_or_404(ImportReview, pk=pk)
    try:
        entry = choose(review, source_id, request.POST.get("kind", ""))
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(" ".join(error.messages), status=400)
        messages.error(request, " ".join(error.messages))
        return redirect("console:import_review", review.pk)
    if request.htmx:
        context = {"review": review, "row": _row(review, entry)}
        return render(request, "console/imports/_item.html", context)
    page = request.POST.get("page", "")
    url = reverse("console:import_review", args=[review.pk])
    return redirect(f"{url}?page={page}#item-{source_id}" if page.isdigit() else url)


@admin_view
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(ImportReview, pk=pk)
    try:
        outcome = apply_review(review, request.user)
    except (ItemError, ValidationError) as error:
        problem = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"Nothing was imported: {problem}")
        return redirect("console:import_review", review.pk)
    counts = ", ".join(f"{count} {what}" for what, count in sorted(outcome.items()))
    messages.success(request, f"Imported {review.file_name}: {counts}. Nobody was notified.")
    return redirect("console:imports")
