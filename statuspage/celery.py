from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

from statuspage import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

broker.register()
app = Celery("statuspage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.MAINTENANCE_TICK_SECONDS),
        sender.signature("console.advance_maintenance"),
        name="start and complete maintenance windows on time",
    )
    sender.add_periodic_task(
        float(settings.MAINTENANCE_TICK_SECONDS),
        sender.signature("console.alert_overdue_updates"),
        name="alert staff when a promised incident update is late",
    )
    sender.add_periodic_task(
        float(settings.UPTIME_ROLLUP_SECONDS),
        sender.signature("console.roll_up_uptime"),
        name="close the day's uptime rows and bring today's up to now",
    )
    sender.add_periodic_task(
        float(settings.MAINTENANCE_TICK_SECONDS),
        sender.signature("console.alert_probes"),
        name="tell staff of probe alerts and expiring certificates",
    )
    sender.add_periodic_task(
        float(settings.SWEEP_SECONDS),
        sender.signature("notifier.sweep"),
        name="re-queue deliveries nobody is working on",
    )
    sender.add_periodic_task(
        float(settings.MIRROR_REFRESH_SECONDS),
        sender.signature("notifier.mirror.refresh"),
        name="bring the static mirror up to changes no publish re-rendered",
    )
    sender.add_periodic_task(
        float(settings.PROBE_TICK_SECONDS),
        sender.signature("probes.tick"),
        name="hand each probe location its due checks",
    )
    sender.add_periodic_task(
        float(settings.PROBE_ROLLUP_SECONDS),
        sender.signature("probes.roll_up"),
        name="roll probe results up per hour and prune old ones",
    )


@worker_process_init.connect
def settle_the_pool_process(**kwargs: object) -> None:
    """Import what the first tasks would, then leave it all out of garbage collection.

    Importing the URLconf (every view, for reverse() in notices and the mirror) took 90 to
    200 ms, which a fresh worker's first publish paid before its first post. What is
    loaded by now lives as long as the process: without gc.freeze() each full collection
    walks it all again, a tenth of a second in the middle of a fan-out, once every few
    thousand posts, in each pool process.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
    gc.freeze()
