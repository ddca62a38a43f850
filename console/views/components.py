"""Components in the console (admins): add, edit, group, order, set status, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

import actions
from actions.components import component_references
from console.access import admin_view
from console.forms.components import ComponentForm, GroupForm, MoveForm, StatusForm
from console.views.incidents import apply_errors
from incidents.models import AuditEntry, Component, ComponentGroup, ComponentStatus


def _back_to(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('console:components')}#{anchor}")


@admin_view
def component_list(request: HttpRequest) -> HttpResponse:
    groups = list(ComponentGroup.objects.order_by("position", "name", "pk"))
    components = list(Component.objects.select_related("group").order_by("position", "name"))
    sections: list[dict[str, Any]] = [
        {"group": None, "members": [c for c in components if c.group_id is None]}
    ]
    sections += [
        {
            "group": group,
            "members": [c for c in components if c.group_id == group.pk],
            "first": index == 0,
            "last": index == len(groups) - 1,
        }
        for index, group in enumerate(groups)
    ]
    return render(
        request,
        "console/components/list.html",
        {
            "sections": sections,
            "group_count": len(groups),
            "statuses": ComponentStatus.choices,
        },
    )


def _component_fields(form: ComponentForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.fields}


@admin_view
def component_new(request: HttpRequest) -> HttpResponse:
    form = ComponentForm(request.POST or None, initial={"group": request.GET.get("group")})
    if request.method == "POST" and form.is_valid():
        try:
            component = actions.create_component(**_component_fields(form), author=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {component.name}, operational.")
            return _back_to(f"component-{component.pk}")
    return render(
        request,
        "console/components/form.html",
        {"form": form, "noun": "component"},
        status=400 if form.is_bound else 200,
    )


@admin_view
def component_edit(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    initial = {
        "name": component.name,
        "description": component.description,
        "group": component.group_id,
        "showcase": component.showcase,
        "only_show_if_degraded": component.only_show_if_degraded,
    }
    form = ComponentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_component(component, **_component_fields(form), author=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['name']}.")
            return _back_to(f"component-{component.pk}")
    return render(
        request,
        "console/components/form.html",
        {
            "form": form,
            "noun": "component",
            "component": component,
            "references": component_references(component),
            "status_form": StatusForm(initial={"status": component.status}),
            "audit": AuditEntry.objects.about(component)[:20],
        },
        status=400 if form.is_bound else 200,
    )


@admin_view
@require_POST
def component_status(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        actions.set_component_status(component, form.cleaned_data["status"], author=request.user)
        messages.success(request, f"{component.name}: {component.get_status_display()}.")
    else:
        messages.error(request, f"{component.name}: choose one of the listed statuses.")
    return _back_to(f"component-{component.pk}")


@admin_view
@require_POST
def component_move(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    form = MoveForm(request.POST)
    if form.is_valid() and actions.move_component(component, form.step, author=request.user):
        messages.success(request, f"Moved {component.name} {form.cleaned_data['direction']}.")
    else:
        messages.error(request, f"{component.name} cannot move that way.")
    return _back_to(f"component-{component.pk}")


@admin_view
@require_POST
def component_delete(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    try:
        actions.delete_component(component, author=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("console:component", component.pk)
    messages.success(request, f"Deleted {component.name}.")
    return redirect("console:components")


@admin_view
def group_new(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = actions.create_group(**form.cleaned_data, author=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added the group {group.name}.")
            return _back_to(f"group-{group.pk}")
    return render(
        request,
        "console/components/form.html",
        {"form": form, "noun": "group"},
        status=400 if form.is_bound else 200,
    )


@admin_view
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    form = GroupForm(
        request.POST or None, initial={"name": group.name, "description": group.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_group(group, **form.cleaned_data, author=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved the group {form.cleaned_data['name']}.")
            return _back_to(f"group-{group.pk}")
    return render(
        request,
        "console/components/form.html",
        {
            "form": form,
            "noun": "group",
            "group": group,
            "audit": AuditEntry.objects.about(group)[:20],
        },
        status=400 if form.is_bound else 200,
    )


@admin_view
@require_POST
def group_move(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    form = MoveForm(request.POST)
    if form.is_valid() and actions.move_group(group, form.step, author=request.user):
        messages.success(request, f"Moved the group {group.name} {form.cleaned_data['direction']}.")
    else:
        messages.error(request, f"The group {group.name} cannot move that way.")
    return _back_to(f"group-{group.pk}")


@admin_view
@require_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    try:
        actions.delete_group(group, author=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("console:group", group.pk)
    messages.success(request, f"Deleted the group {group.name}.")
    return redirect("console:components")
