"""Deliveries, subscribers and endpoints in the admin, until the staff console lands."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifier.ledger import enqueue_deliveries
from notifier.models import Delivery, DeliveryState, Notice, Subscriber, WebhookEndpoint


@admin.action(description="Retry the failed deliveries of the selected notices")
def retry_failed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    failed = Delivery.objects.filter(notice__in=queryset, state=DeliveryState.FAILED)
    ids = list(failed.values_list("id", flat=True))
    failed.update(state=DeliveryState.PENDING, attempts=0, last_error="", enqueued_at=None)
    queued = enqueue_deliveries(Delivery.objects.filter(pk__in=ids))
    modeladmin.message_user(request, f"{queued} deliveries queued again.", messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "target", "state", "attempts", "last_error", "reference", "sent_at"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A mailing has a row per subscriber: show the ones that need attention first, capped.
        return super().get_queryset(request).exclude(state=DeliveryState.SENT)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_at", "channels", "delivery_counts"]
    list_filter = ["kind"]
    actions = [retry_failed]
    inlines = [DeliveryInline]
    readonly_fields = [
        "kind", "incident", "incident_update", "maintenance", "maintenance_update", "post",
        "channels", "created_at", "delivery_counts",
    ]  # fmt: skip

    @admin.display(description="Deliveries")
    def delivery_counts(self, notice: Notice) -> str:
        counts = notice.deliveries.counts_by_channel()
        return (
            "; ".join(
                f"{channel}: " + ", ".join(f"{n} {state}" for state, n in states.items() if n)
                for channel, states in sorted(counts.items())
            )
            or "none"
        )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "confirmed_at"]
    search_fields = ["email"]
    filter_horizontal = ["components"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "contact_email", "consecutive_failures", "disabled_at"]
    list_filter = ["owner"]
    filter_horizontal = ["components"]
    readonly_fields = ["secret", "consecutive_failures", "disabled_at", "disabled_reason"]
