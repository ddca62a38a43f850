"""Importing a Statuspage page or a Cachet dump (admins): upload, preview the dry run, apply."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from console.access import admin_view
from console.forms.imports import HistoryUploadForm
from importers import uploads


@admin_view
def history_upload(request: HttpRequest) -> HttpResponse:
    form = HistoryUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subscribers = data["subscribers"]
        try:
            pending = uploads.preview(
                data["source"],
                [(upload.name, upload.chunks()) for upload in data["exports"]],
                subscribers=(subscribers.name, subscribers.chunks()) if subscribers else None,
                url=data["url"],
                zone=data["zone"].key if data["zone"] else "",
                keep_consent=data["keep_consent"],
            )
        except uploads.UploadRefused as error:
            form.add_error(None, f"Nothing was imported: {error}")
        else:
            return redirect("console:history_preview", pending.token)
    status = 400 if form.is_bound else 200
    return render(request, "console/imports/history.html", {"form": form}, status=status)


@admin_view
def history_preview(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending = uploads.load(token)
    except uploads.UploadGone:
        raise Http404("This upload was applied or has expired; upload it again.") from None
    return render(request, "console/imports/history_preview.html", {"pending": pending})


@admin_view
@require_POST
def history_apply(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending, report = uploads.apply(token)
    except uploads.UploadGone:
        messages.error(request, "That upload was applied or has expired; upload it again.")
        return redirect("console:history_upload")
    except uploads.UploadRefused as error:
        messages.error(request, f"Nothing was imported: {error}")
        return redirect("console:history_upload")
    done = "; ".join(report.summary()) or "nothing new"
    messages.success(
        request,
        f"Imported {pending.source_label} ({pending.described}): {done}. Nobody was notified.",
    )
    return redirect("console:history_upload")


@admin_view
@require_POST
def history_discard(request: HttpRequest, token: str) -> HttpResponse:
    uploads.discard(token)
    messages.success(request, "The upload was removed; nothing was imported.")
    return redirect("console:history_upload")
