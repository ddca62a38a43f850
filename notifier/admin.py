"""Deliveries, subscribers and endpoints in the Django admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django_htmx.http import HttpResponseStopPolling

from notifier.delivery_summary import delivery_summary, requeue_failed
from notifier.models import Delivery, DeliveryState, Notice, Subscriber, WebhookEndpoint
from statuspage.http_types import HtmxRequest


@admin.action(description="Retry the failed deliveries of the selected notices")
def retry_failed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    queued = requeue_failed(queryset)
    modeladmin.message_user(request, f"{queued} deliveries queued again.", messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "channel",
        "target",
        "state",
        "attempts",
        "last_error",
        "reference",
        "sent_at",
    )
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A mailing has a row per subscriber: show the ones that need attention first, capped.
        return super().get_queryset(request).exclude(state=DeliveryState.SENT)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    change_form_template = "notifier/admin/notice_change_form.html"
    list_display = ["__str__", "created_at", "channels", "delivery_counts"]
    list_filter = ["kind"]
    actions = [retry_failed]
    inlines = [DeliveryInline]
    readonly_fields = [
        "kind", "incident", "incident_update", "maintenance", "maintenance_update", "post",
        "channels", "created_at", "delivery_counts",
    ]  # fmt: skip

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/deliveries/", view(self.deliveries), name="notifier_notice_deliveries"),
            path("<int:pk>/retry-failed/", view(self.retry), name="notifier_notice_retry"),
            *super().get_urls(),
        ]

    def deliveries(self, request: HtmxRequest, pk: int) -> HttpResponse:
        """The live counts (an htmx target): polling stops once nothing is left to send."""
        summary = delivery_summary(get_object_or_404(Notice, pk=pk))
        response = render(request, "notifier/_deliveries.html", summary)
        if request.htmx and summary["done"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response

    def retry(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponseNotAllowed(["POST"])
        queued = requeue_failed(Notice.objects.filter(pk=pk))
        self.message_user(request, f"{queued} deliveries queued again.", messages.SUCCESS)
        return redirect("admin:notifier_notice_change", pk)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        notice = get_object_or_404(Notice, pk=object_id)
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **delivery_summary(notice)}
        )

    @admin.display(description="Deliveries")
    def delivery_counts(self, notice: Notice) -> str:
        return (
            "; ".join(
                f"{tally.channel}: " + ", ".join(f"{n} {s}" for s, n in tally.states.items() if n)
                for tally in sorted(notice.delivery_tallies, key=lambda tally: tally.channel)
            )
            or "none"
        )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "confirmed_at"]
    search_fields = ["email"]
    filter_horizontal = ["components"]


@admin.action(description="Re-enable the selected endpoints")
def reenable_endpoints(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    count = queryset.exclude(disabled_at=None).update(
        disabled_at=None, disabled_reason="", consecutive_failures=0
    )
    modeladmin.message_user(request, f"{count} endpoints enabled again.", messages.SUCCESS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    actions = [reenable_endpoints]
    list_display = ["url", "owner", "contact_email", "consecutive_failures", "disabled_at"]
    list_filter = ["owner"]
    filter_horizontal = ["components"]
    # The secret is shown once, when the endpoint is added (here or in the console), never again.
    readonly_fields = [
        "consecutive_failures", "disabled_at", "disabled_reason", "last_success_at",
        "last_failure_at", "last_failure",
    ]  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: object, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request, f"Copy the signing secret now; it will not be shown again: {obj.secret}"
            )
