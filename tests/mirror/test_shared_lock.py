"""The mirror targets' publish lock is shared by every worker, through the database.

A lease on the target's row, taken by a conditional update: the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifier.mirror import channel as mirror_channel
from notifier.mirror import lock
from notifier.mirror.local import LocalMirrorChannel
from notifier.mirror.models import MirrorTarget
from notifier.models import DeliveryState
from tests.mirror.test_local_mirror import deliver_pending, latest_delivery, post_news

pytestmark = [pytest.mark.postgres_too]


@pytest.mark.django_db
def test_one_holder_at_a_time_and_a_dead_workers_lease_runs_out():
    assert lock.try_acquire("mirror_local", "worker-a")
    assert not lock.try_acquire("mirror_local", "worker-b")
    lock.release("mirror_local", "worker-b")  # not its lease: nothing happens
    assert not lock.try_acquire("mirror_local", "worker-b")

    # Worker A died holding it: once its lease has run out, B takes the target over.
    MirrorTarget.objects.filter(name="mirror_local").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert lock.try_acquire("mirror_local", "worker-b")
    lock.release("mirror_local", "worker-a")  # A's late release does not free B's lease
    assert not lock.try_acquire("mirror_local", "worker-c")
    lock.release("mirror_local", "worker-b")
    assert lock.try_acquire("mirror_local", "worker-c")
    assert lock.try_acquire("mirror_rsync", "worker-d")  # another target: a row of its own
    assert MirrorTarget.objects.get(name="mirror_rsync").locked_by == "worker-d"


@pytest.mark.django_db(transaction=True)
def test_workers_with_their_own_connections_never_publish_at_once():
    held: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                with lock.publishing("mirror_s3", wait=30):
                    start = time.monotonic()
                    time.sleep(0.02)
                    held.append((start, time.monotonic()))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(held) == 12
    spans = sorted(held)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
    assert MirrorTarget.objects.get(name="mirror_s3").locked_by == ""


@pytest.mark.django_db
def test_a_publish_waits_for_another_workers_lock_then_asks_to_be_retried(mirror, monkeypatch):
    from tests.factories import build_site

    site = build_site()
    deliver_pending()
    before = mirror.files()
    assert lock.try_acquire("mirror_local", "another-machine")
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.2)

    post_news(site)
    deliver_pending()

    delivery = latest_delivery()
    assert delivery.state == DeliveryState.RETRYING
    assert "another worker is publishing" in delivery.last_error
    assert mirror.files() == before  # nothing written while the other worker holds it

    lock.release("mirror_local", "another-machine")
    MirrorTarget.objects.update(locked_by="", locked_until=None)
    from notifier import dispatch

    assert dispatch.run([delivery.pk]).sent == 1
    assert (
        "Certificates renewed" in mirror.file(f"incidents/{site.active.pk}/index.html").read_text()
    )


@pytest.mark.django_db
def test_a_refresh_leaves_a_target_another_worker_holds_to_the_next_tick(mirror, monkeypatch):
    monkeypatch.setattr(mirror_channel, "REFRESH_WAIT_SECONDS", 0.2)
    assert lock.try_acquire("mirror_local", "another-machine")

    assert "another worker is publishing" in LocalMirrorChannel().refresh()
    assert not mirror.root.exists() or not mirror.current.exists()
