"""Small console pages: the audit log and the markdown preview."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from console.access import admin_view, editor_view
from incidents.markup import render_fresh
from incidents.markup_guard import too_costly
from incidents.models import AuditEntry

MAX_PREVIEW = 50_000


@admin_view
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("actor")
    if action := request.GET.get("action", "").strip()[:60]:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", {"page": page, "action": action})


@editor_view
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The sanitised HTML a markdown text becomes on the public site (an htmx target)."""
    text = request.POST.get("body", "")
    too_long = len(text) > MAX_PREVIEW
    # Uncached: drafts typed key by key must not push published texts out of the cache.
    html = "" if too_long else render_fresh(text)
    context = {"html": html, "too_long": too_long, "plain": not too_long and too_costly(text)}
    return render(request, "console/_markdown_preview.html", context)
