"""Maintenance in the console: schedule a window, then start, note, verify, complete,
postpone, reschedule or cancel it. The views are thin: the forms validate, actions
act, and every act is previewed through the same action before it is published."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from actions.steps import EditConflict
from console.access import editor_view
from console.forms.fields import apply_errors, chosen_channels
from console.forms.maintenance import (
    ACTS,
    Act,
    ActForm,
    ScheduleForm,
    WindowForm,
    act_form,
    allowed_acts,
    refreshed,
)
from console.forms.time_tokens import form_window_warnings
from console.previews import preview_publish
from incidents import timefmt
from incidents.models import (
    FINISHED_MAINTENANCE_STATUSES,
    AuditEntry,
    InvalidTransition,
    Maintenance,
)
from notifier.models import Notice, NoticeKind


def _maintenance(pk: int) -> Maintenance:
    return get_object_or_404(Maintenance.objects.with_timeline(), pk=pk)


@editor_view
def maintenance_list(request: HttpRequest) -> HttpResponse:
    windows = Maintenance.objects.with_components()
    return render(
        request,
        "console/maintenance/list.html",
        {
            "active": windows.active(),
            "upcoming": windows.upcoming(),
            "postponed": windows.awaiting_new_window(),
            "finished": windows.filter(status__in=FINISHED_MAINTENANCE_STATUSES).order_by(
                "-updated_at", "-id"
            )[:30],
        },
    )


@editor_view
def maintenance_new(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            maintenance = form.schedule(
                author=request.user, channels=chosen_channels(form.cleaned_data["channels"])
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Scheduled “{maintenance.title}”.")
            return redirect("console:maintenance", maintenance.pk)
    status = 400 if form.is_bound else 200
    return render(request, "console/maintenance/new.html", {"form": form}, status=status)


@editor_view
@require_POST
def maintenance_new_preview(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST, previewing=True)
    if not form.is_valid():
        return render(request, "console/_preview.html", {"form_errors": form.errors})

    def act() -> dict[str, Any]:
        maintenance = form.schedule(author=request.user, channels=[])
        return {"maintenance": maintenance, "maintenance_update": maintenance.updates.get()}

    preview = preview_publish(
        NoticeKind.MAINTENANCE_SCHEDULED, act, "console/maintenance/_entry_preview.html"
    )
    context = {"preview": preview, "warnings": form_window_warnings(form)}
    return render(request, "console/_preview.html", context)


@editor_view
@require_POST
def window_preview(request: HttpRequest) -> HttpResponse:
    """The window as readers will see it, in the site zone and every extra zone (htmx)."""
    prefix = request.POST.get("prefix") or None
    if prefix not in (None, *ACTS):
        prefix = None
    form = WindowForm(request.POST, prefix=prefix)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        main, others = timefmt.window_everywhere(
            form.cleaned_data["scheduled_start"], form.cleaned_data["scheduled_end"]
        )
        context.update(main=main, others=others)
    return render(request, "console/maintenance/_window_preview.html", context)


@editor_view
def maintenance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    maintenance = _maintenance(pk)
    return _detail(request, maintenance)


@editor_view
@require_POST
def maintenance_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act not in ACTS:
        raise Http404("No such act.")
    chosen = ACTS[act]
    maintenance = _maintenance(pk)
    form = act_form(chosen, maintenance, request.POST)
    conflict = None
    if form.is_valid():
        try:
            form.run(author=request.user, channels=chosen_channels(form.cleaned_data["channels"]))
        except EditConflict as error:
            maintenance = _maintenance(pk)
            conflict = {
                "entry": AuditEntry.objects.about(maintenance).first(),
                "version": error.current_version,
            }
            form = refreshed(form, chosen, maintenance, error.current_version)
        except InvalidTransition as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _done_message(chosen))
            return redirect("console:maintenance", pk)
    return _detail(
        request,
        maintenance,
        bound=(chosen, form),
        conflict=conflict,
        status=409 if conflict else 400,
    )


@editor_view
@require_POST
def maintenance_act_preview(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    """The page entry, email subject and posts an act would publish (htmx, nothing kept)."""
    if act not in ACTS:
        raise Http404("No such act.")
    chosen = ACTS[act]
    form = act_form(chosen, _maintenance(pk), request.POST, previewing=True)
    if not form.is_valid():
        return render(request, "console/_preview.html", {"form_errors": form.errors})

    def run() -> dict[str, Any]:
        update = form.run(author=request.user, channels=[])
        return {"maintenance": update.maintenance, "maintenance_update": update}

    preview = preview_publish(
        NoticeKind.for_maintenance(chosen.target), run, "console/maintenance/_entry_preview.html"
    )
    context = {"preview": preview, "warnings": form_window_warnings(form)}
    return render(request, "console/_preview.html", context)


def _done_message(act: Act) -> str:
    return {
        "start": "Maintenance started.",
        "note": "Note posted.",
        "verify": "Maintenance is being verified; complete it once all is well.",
        "complete": "Maintenance completed.",
        "postpone": "Maintenance postponed: reschedule it once the new window is known.",
        "reschedule": "Maintenance rescheduled; subscribers are told about the new window.",
        "cancel": "Maintenance cancelled.",
    }[act.name]


def _detail(
    request: HttpRequest,
    maintenance: Maintenance,
    *,
    bound: tuple[Act, ActForm] | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    acts = []
    for act in allowed_acts(maintenance):
        form = bound[1] if bound and bound[0] == act else act_form(act, maintenance)
        acts.append({"act": act, "form": form, "open": bool(bound and bound[0] == act)})
    if bound and bound[0] not in allowed_acts(maintenance):
        # The status moved on under the editor: show the refused form with its message anyway.
        acts.insert(0, {"act": bound[0], "form": bound[1], "open": True})
    return render(
        request,
        "console/maintenance/detail.html",
        {
            "maintenance": maintenance,
            "acts": acts,
            "conflict": conflict,
            "timeline": maintenance.timeline(),
            "notices": Notice.objects.filter(maintenance=maintenance)[:20],
            "audit": AuditEntry.objects.about(maintenance)[:20],
        },
        status=status,
    )
