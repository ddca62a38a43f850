"""A task that stands for one delivery (a webhook's round trip): the worker loads it with -I."""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(name="benchmarks.delivery_stand_in", ignore_result=True)
def delivery_stand_in(milliseconds: int) -> None:
    time.sleep(milliseconds / 1000)
