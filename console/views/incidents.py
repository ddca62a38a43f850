"""Incidents in the console: open one, post updates, resolve, add a postmortem."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from actions.steps import EditConflict
from console.access import editor_view
from console.forms.fields import apply_errors, chosen_channels, small_pk
from console.forms.incidents import OpenIncidentForm, UpdateForm
from console.previews import preview_publish
from console.views.deliveries import DELIVERIES_CHANGED
from incidents.models import AuditEntry, Incident, ProbeAlert
from notifier.models import Notice, NoticeKind
from probes.evidence import incident_draft
from statuspage.http_types import HtmxRequest


def _incident(pk: int) -> Incident:
    return get_object_or_404(Incident.objects.prefetch_related("affected__component"), pk=pk)


@editor_view
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = Incident.objects.prefetch_related("updates")
    return render(
        request,
        "console/incidents/list.html",
        {
            "open_incidents": incidents.unresolved(),
            "recent": incidents.resolved()[:30],
        },
    )


def _from_alert(request: HttpRequest) -> tuple[ProbeAlert | None, dict[str, Any]]:
    """The probe alert named by ?alert= (the dashboard's button) and the form's draft from it."""
    pk = request.GET.get("alert", "")
    if request.method != "GET" or not small_pk(pk):
        return None, {}
    alert = ProbeAlert.objects.select_related("probe__component").filter(pk=pk).first()
    if alert is None:
        return None, {}
    return alert, {**incident_draft(alert), "alert": alert.pk}


@editor_view
def incident_new(request: HttpRequest) -> HttpResponse:
    alert, draft = _from_alert(request)
    form = OpenIncidentForm(request.POST or None, initial=draft or None)
    if request.method == "POST" and form.is_valid():
        channels = chosen_channels(form.cleaned_data["channels"])
        try:
            incident = form.open(author=request.user, channels=channels)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Published “{incident.title}”.")
            return redirect("console:incident", incident.pk)
    return render(request, "console/incidents/new.html", {"form": form, "alert": alert})


@editor_view
@require_POST
def incident_new_preview(request: HttpRequest) -> HttpResponse:
    form = OpenIncidentForm(request.POST)
    if not form.is_valid():
        return render(request, "console/_preview.html", {"form_errors": form.errors})

    def act() -> dict[str, Any]:
        incident = form.open(author=request.user, channels=[])
        return {"incident": incident, "incident_update": incident.updates.get()}

    preview = preview_publish(NoticeKind.INCIDENT_OPENED, act, "incidents/_incident_summary.html")
    return render(request, "console/_preview.html", {"preview": preview})


@editor_view
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(pk)
    return render(
        request,
        "console/incidents/detail.html",
        {
            "incident": incident,
            "form": UpdateForm(incident=incident),
            "timeline": incident.updates.select_related("author").order_by("-posted_at", "-id"),
            "notices": Notice.objects.filter(incident=incident)[:20],
            "audit": AuditEntry.objects.about(incident)[:20],
        },
    )


@editor_view
def update_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The update form inside an incident's dashboard card (an htmx target)."""
    incident = _incident(pk)
    form = UpdateForm(incident=incident)
    # The button that asked for the form is swapped away: htmx moves focus to the message.
    form.fields["body"].widget.attrs["autofocus"] = True
    return render(
        request,
        "console/incidents/_update_form.html",
        {"incident": incident, "form": form, "inline": True},
    )


@editor_view
@require_POST
def post_update(request: HtmxRequest, pk: int) -> HttpResponse:
    incident = _incident(pk)
    form = UpdateForm(request.POST, incident=incident)
    inline = request.POST.get("inline") == "1"
    conflict = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            form.post(
                author=request.user,
                channels=chosen_channels(data["channels"]),
                expected_version=data["version"],
            )
        except EditConflict as error:
            conflict = _conflict_context(incident, error)
            form = _refreshed(form, incident, error.current_version)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            incident.refresh_from_db()
            if inline and request.htmx:
                card = render(request, "console/incidents/_card.html", {"incident": incident})
                # The dashboard's recent deliveries now have a notice more: it refreshes itself.
                return trigger_client_event(card, DELIVERIES_CHANGED)
            messages.success(request, "Update published.")
            return redirect("console:incident", incident.pk)
    if request.htmx:
        # htmx swaps only 2xx answers: send the form back as one, into the card's form slot.
        response = render(
            request,
            "console/incidents/_update_form.html",
            {"incident": incident, "form": form, "inline": inline, "conflict": conflict},
        )
        if inline:
            response["HX-Retarget"] = f"#incident-{incident.pk}-form"
            response["HX-Reswap"] = "innerHTML"
        return response
    template = "console/incidents/detail.html"
    context = {
        "incident": incident,
        "form": form,
        "inline": inline,
        "conflict": conflict,
        "timeline": incident.updates.select_related("author").order_by("-posted_at", "-id"),
        "notices": Notice.objects.filter(incident=incident)[:20],
        "audit": AuditEntry.objects.about(incident)[:20],
    }
    return render(request, template, context, status=409 if conflict else 400)


@editor_view
@require_POST
def update_preview(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(pk)
    form = UpdateForm(request.POST, incident=incident)
    if not form.is_valid():
        return render(request, "console/_preview.html", {"form_errors": form.errors})
    data = form.cleaned_data
    kind = NoticeKind.for_incident(data["status"])

    def act() -> dict[str, Any]:
        update = form.post(author=request.user, channels=[], expected_version=None)
        return {"incident": update.incident, "incident_update": update, "update": update}

    preview = preview_publish(kind, act, "console/incidents/_entry_preview.html")
    return render(request, "console/_preview.html", {"preview": preview})


def _conflict_context(incident: Incident, error: EditConflict) -> dict[str, Any]:
    latest = AuditEntry.objects.about(incident).first()
    return {"entry": latest, "version": error.current_version}


def _refreshed(form: UpdateForm, incident: Incident, version: int) -> UpdateForm:
    """The same text on a form that now carries the current version, for a deliberate resend."""
    incident.refresh_from_db()
    # A bound form here was bound to request.POST; its type says only Mapping.
    data = cast(QueryDict, form.data).copy()
    data["version"] = str(version)
    fresh = UpdateForm(data, incident=incident)
    fresh.is_valid()
    return fresh
