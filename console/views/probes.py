"""Probes in the console: every staff member sees them; admins add, edit, disable, delete."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

import actions.probes
from console.access import admin_view, editor_view
from console.forms.fields import apply_errors
from console.forms.probes import ProbeForm
from incidents.models import AuditEntry, Probe, ProbeAlert
from probes.certificates import expiring_certificates
from probes.evidence import evidence_of, target_text
from probes.overview import probe_overviews


@editor_view
def probe_list(request: HttpRequest) -> HttpResponse:
    probes = list(
        Probe.objects.select_related("component").order_by("component__name", "name", "pk")
    )
    overviews = probe_overviews(probes)
    sections = [
        {"component": component, "overviews": list(rows)}
        for component, rows in groupby(overviews, key=lambda row: row.probe.component)
    ]
    return render(
        request,
        "console/probes/list.html",
        {"sections": sections, "certificates": expiring_certificates()},
    )


def _save(request: HttpRequest, form: ProbeForm, done: str) -> HttpResponse | None:
    """Save a valid form through the action; None (errors on the form) when it was refused."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        probe = actions.probes.save_probe(form.save(commit=False), author=request.user)
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, f"{done} “{probe.name}”.")
    return redirect("console:probes")


@admin_view
def probe_new(request: HttpRequest) -> HttpResponse:
    initial = {"component": request.GET.get("component")} if request.method == "GET" else None
    form = ProbeForm(request.POST or None, initial=initial)
    if (saved := _save(request, form, "Added the probe")) is not None:
        return saved
    status = 400 if form.is_bound else 200
    return render(request, "console/probes/form.html", {"form": form}, status=status)


@admin_view
def probe_edit(request: HttpRequest, pk: int) -> HttpResponse:
    probe = get_object_or_404(Probe, pk=pk)
    form = ProbeForm(request.POST or None, instance=probe)
    if (saved := _save(request, form, "Saved the probe")) is not None:
        return saved
    status = 400 if form.is_bound else 200
    context = {
        "form": form,
        "probe": probe,
        "target": target_text(probe),
        "audit": AuditEntry.objects.about(probe)[:20],
        "alerts": ProbeAlert.objects.filter(probe=probe).select_related("incident")[:10],
    }
    return render(request, "console/probes/form.html", context, status=status)


@admin_view
@require_POST
def probe_enable(request: HttpRequest, pk: int) -> HttpResponse:
    probe = get_object_or_404(Probe, pk=pk)
    probe = actions.probes.set_probe_enabled(probe, True, author=request.user)
    messages.success(request, f"“{probe.name}” runs again.")
    return redirect("console:probes")


@admin_view
@require_POST
def probe_disable(request: HttpRequest, pk: int) -> HttpResponse:
    probe = get_object_or_404(Probe, pk=pk)
    probe = actions.probes.set_probe_enabled(probe, False, author=request.user)
    messages.success(request, f"“{probe.name}” is disabled: it runs no more until enabled.")
    return redirect("console:probes")


@admin_view
def probe_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page; the POST from it deletes."""
    probe = get_object_or_404(Probe.objects.select_related("component"), pk=pk)
    if request.method == "POST":
        actions.probes.delete_probe(probe, author=request.user)
        messages.success(request, f"Deleted the probe “{probe.name}” and its results.")
        return redirect("console:probes")
    return render(request, "console/probes/delete.html", {"probe": probe})


def open_alerts() -> list[dict[str, object]]:
    """The open alerts with their evidence, for the dashboard's card."""
    alerts = ProbeAlert.objects.filter(closed_at__isnull=True).select_related(
        "probe__component", "incident"
    )
    return [
        {"alert": alert, "target": target_text(alert.probe), "failing": evidence_of(alert)}
        for alert in alerts.order_by("opened_at", "pk")
    ]
