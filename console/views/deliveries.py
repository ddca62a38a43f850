"""Where each publish went: live counts per channel, failures, and trying them again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from console.access import editor_view
from incidents.auditing import record_audit
from notifier.delivery_summary import delivery_summary, requeue_failed
from notifier.models import Notice
from statuspage.http_types import HtmxRequest

# Published by a publish from an htmx form, so blocks of counts on the page refresh at once.
DELIVERIES_CHANGED = "deliveries-changed"
NOTICE_LIST_LIMIT = 100


def recent_notices(limit: int) -> list[Notice]:
    notices = Notice.objects.select_related("incident", "maintenance", "post", "component")
    return notices[:limit].with_tallies()


def live_context(notices: list[Notice], live_id: str) -> dict[str, Any]:
    final = all(notice.deliveries_final for notice in notices)
    return {
        "notices": notices,
        "live_id": live_id,
        "final": final,
        "changed_event": DELIVERIES_CHANGED,
    }


def live_notices(request: HtmxRequest, notices: list[Notice], live_id: str) -> HttpResponse:
    """A table of notices that refreshes itself (an htmx target) while any is unfinished."""
    context = live_context(notices, live_id)
    response = render(request, "console/deliveries/_live_notices.html", context)
    return stop_polling_when(context["final"], request, response)


def stop_polling_when(final: bool, request: HtmxRequest, response: HttpResponse) -> HttpResponse:
    if request.htmx and final:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@editor_view
def notice_list(request: HtmxRequest) -> HttpResponse:
    notices = recent_notices(NOTICE_LIST_LIMIT)
    if request.htmx.target == "notices":
        return live_notices(request, notices, "notices")
    return render(request, "console/deliveries/list.html", live_context(notices, "notices"))


@editor_view
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    return render(request, "console/deliveries/detail.html", delivery_summary(notice))


@editor_view
def notice_counts(request: HtmxRequest, pk: int) -> HttpResponse:
    """The live counts (an htmx target): polling stops once nothing is left to send."""
    summary = delivery_summary(get_object_or_404(Notice, pk=pk))
    response = render(request, "console/deliveries/_counts.html", summary)
    return stop_polling_when(summary["done"], request, response)


@editor_view
@require_POST
def retry_failed(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    queued = requeue_failed(Notice.objects.filter(pk=pk))
    record_audit("notice.retry_failed", notice, actor=request.user, after={"queued": queued})
    messages.success(request, f"{queued} failed deliveries queued again.")
    return redirect("console:notice", pk)
