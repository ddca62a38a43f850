"""Where each publish went: live counts per channel, failures, and trying them again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from console.access import editor_view
from incidents.audit import record_audit
from notifier.deliveries import delivery_summary, requeue_failed
from notifier.models import Notice


@editor_view
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.select_related("incident", "maintenance", "post")[:100]
    return render(request, "console/deliveries/list.html", {"notices": notices})


@editor_view
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    return render(request, "console/deliveries/detail.html", delivery_summary(notice))


@editor_view
def notice_counts(request: HttpRequest, pk: int) -> HttpResponse:
    """The live counts (an htmx target): polling stops once nothing is left to send."""
    summary = delivery_summary(get_object_or_404(Notice, pk=pk))
    response = render(request, "notifier/_deliveries.html", summary)
    if request.htmx and summary["done"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@editor_view
@require_POST
def retry_failed(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    queued = requeue_failed(Notice.objects.filter(pk=pk))
    record_audit("notice.retry_failed", notice, actor=request.user, after={"queued": queued})
    messages.success(request, f"{queued} failed deliveries queued again.")
    return redirect("console:notice", pk)
