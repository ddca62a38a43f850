"""Saved messages: editors list, write and insert them; only admins delete one."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console.access import admin_view, editor_view
from console.forms.message_templates import (
    FillForm,
    MessageTemplateForm,
    body_form,
    fill_template,
    title_name,
)
from console.models import MessageTemplate
from incidents.auditing import record_audit, snapshot


@editor_view
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/message_templates/list.html",
        {"templates": MessageTemplate.objects.all()},
    )


@editor_view
def template_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, MessageTemplate())


@editor_view
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(MessageTemplate, pk=pk))


def _edit(request: HttpRequest, template: MessageTemplate) -> HttpResponse:
    adding = template.pk is None
    before = None if adding else snapshot(template)
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            template = form.save()
            record_audit(
                "template.created" if adding else "template.edited",
                template,
                actor=request.user,
                before=before,
                after=snapshot(template),
            )
        messages.success(request, f"Saved the template “{template.name}”.")
        return redirect("console:message_templates")
    return render(
        request,
        "console/message_templates/edit.html",
        {"form": form, "template": template, "adding": adding},
        status=400 if form.is_bound else 200,
    )


@admin_view
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            record_audit(
                "template.deleted", template, actor=request.user, before=snapshot(template)
            )
            template.delete()
        messages.success(request, f"Deleted the template “{template.name}”.")
        return redirect("console:message_templates")
    return render(request, "console/message_templates/delete.html", {"template": template})


@editor_view
@require_POST
def template_fill(request: HttpRequest) -> HttpResponse:
    """The body field again, with the chosen template added after its text (htmx)."""
    fill = FillForm(request.POST)
    valid = fill.is_valid()
    if "field" not in fill.cleaned_data:
        return HttpResponse(status=204)  # not a body field we know: leave the page alone
    title, text, errors = "", request.POST.get(fill.cleaned_data["field"], ""), []
    if valid:
        title, text = fill_template(request.POST, fill)
    else:
        errors = [error for problems in fill.errors.values() for error in problems]
    field = body_form(fill, text)[fill.body_name]
    title_field = title_name(fill)
    empty_title = title_field in request.POST and not request.POST[title_field].strip()
    context = {
        "field": field,
        "fill_errors": errors,
        # The template's title goes only into an empty title field, never over one.
        "title": title if empty_title else "",
        "title_field": title_field,
        "language": fill.twin_language,
        "preview_lang": fill.twin_language,
    }
    response = render(request, "console/message_templates/_filled.html", context)
    if valid:
        # As if typed: the markdown preview and the form's publish preview catch up.
        response["HX-Trigger-After-Settle"] = json.dumps({"input": {"target": f"#{field.auto_id}"}})
    return response
