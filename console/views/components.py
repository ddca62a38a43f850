"""Components in the console (admins): add, edit, group, order, set status, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
from console.forms.fields import apply_errors
from incidents.models import AuditEntry, Component, ComponentGroup, ComponentStatus

Item = TypeVar("Item", Component, ComponentGroup)


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


def _form_page(
    request: HttpRequest,
    form: ComponentForm | GroupForm,
    save: Callable[[dict[str, Any]], Item],
    saved: Callable[[Item], tuple[str, str]],
    context: dict[str, Any],
) -> HttpResponse:
    """A component's or a group's form: saved through `save`, then back to the list at the
    anchor `saved` names, with its message; the form again, with the errors, otherwise."""
    if request.method == "POST" and form.is_valid():
        try:
            item = save(form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            message, anchor = saved(item)
            messages.success(request, message)
            return _back_to(anchor)
    return render(
        request,
        "console/components/form.html",
        {"form": form, **context},
        status=400 if form.is_bound else 200,
    )


def _move(
    request: HttpRequest,
    item: Component | ComponentGroup,
    move: Callable[..., bool],
    name: str,
    anchor: str,
) -> HttpResponse:
    form = MoveForm(request.POST)
    if form.is_valid() and move(item, form.step, author=request.user):
        messages.success(request, f"Moved {name} {form.cleaned_data['direction']}.")
    else:
        messages.error(request, f"{name[:1].upper()}{name[1:]} cannot move that way.")
    return _back_to(anchor)


def _delete(
    request: HttpRequest,
    item: Component | ComponentGroup,
    delete: Callable[..., None],
    name: str,
    page: str,
) -> HttpResponse:
    try:
        delete(item, author=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(page, item.pk)
    messages.success(request, f"Deleted {name}.")
    return redirect("console:components")


@admin_view
def component_new(request: HttpRequest) -> HttpResponse:
    form = ComponentForm(request.POST or None, initial={"group": request.GET.get("group")})
    return _form_page(
        request,
        form,
        lambda fields: actions.create_component(**fields, author=request.user),
        lambda component: (f"Added {component.name}, operational.", f"component-{component.pk}"),
        {"noun": "component"},
    )


@admin_view
def component_edit(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    initial = {name: getattr(component, name) for name in ComponentForm.base_fields}
    initial["group"] = component.group_id
    return _form_page(
        request,
        ComponentForm(request.POST or None, initial=initial),
        lambda fields: actions.update_component(component, **fields, author=request.user),
        lambda saved: (f"Saved {saved.name}.", f"component-{component.pk}"),
        {
            "noun": "component",
            "component": component,
            "references": component_references(component),
            "status_form": StatusForm(initial={"status": component.status}),
            "audit": AuditEntry.objects.about(component)[:20],
        },
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
    return _move(
        request, component, actions.move_component, component.name, f"component-{component.pk}"
    )


@admin_view
@require_POST
def component_delete(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    return _delete(
        request, component, actions.delete_component, component.name, "console:component"
    )


@admin_view
def group_new(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        GroupForm(request.POST or None),
        lambda fields: actions.create_group(**fields, author=request.user),
        lambda group: (f"Added the group {group.name}.", f"group-{group.pk}"),
        {"noun": "group"},
    )


@admin_view
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    initial = {"name": group.name, "description": group.description}
    return _form_page(
        request,
        GroupForm(request.POST or None, initial=initial),
        lambda fields: actions.update_group(group, **fields, author=request.user),
        lambda saved: (f"Saved the group {saved.name}.", f"group-{group.pk}"),
        {"noun": "group", "group": group, "audit": AuditEntry.objects.about(group)[:20]},
    )


@admin_view
@require_POST
def group_move(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    return _move(request, group, actions.move_group, f"the group {group.name}", f"group-{group.pk}")


@admin_view
@require_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ComponentGroup, pk=pk)
    return _delete(request, group, actions.delete_group, f"the group {group.name}", "console:group")
