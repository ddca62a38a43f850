"""The mirror benchmark's steps, each in a fresh process with Django set up.

VAR_DIR and MIRROR_LOCAL_DIR come from the environment benchmarks/mirror.py
gives the process; each step writes its figures as JSON to --out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from benchmarks.mirror_phases import SHARE_PREFIX, Phases

SIZES = {
    "full": {"incidents": 1000, "posts": 300, "maintenance": 100},
    "quick": {"incidents": 100, "posts": 30, "maintenance": 10},
}


def _tree(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def child_build(quick: bool) -> dict[str, Any]:
    from django.core.management import call_command

    from benchmarks.history import generate_history
    from benchmarks.inprocess import row_counts

    call_command("migrate", interactive=False, verbosity=0)
    start = perf_counter()
    generate_history(**SIZES["quick" if quick else "full"], seed=1)
    generated = perf_counter() - start
    call_command("collectstatic", interactive=False, verbosity=0)
    return {"rows": row_counts(), "generate_seconds": round(generated, 2)}


def child_full_build() -> dict[str, Any]:
    """One `build_mirror` in this fresh process: template compilation included, as for real."""
    from django.conf import settings
    from django.core.management import call_command

    from notifier.mirror.site import every_url

    out = io.StringIO()
    start = perf_counter()
    call_command("build_mirror", stdout=out)
    seconds = perf_counter() - start
    current = Path(settings.MIRROR_LOCAL_DIR) / "current"
    files, size = _tree(current.resolve())
    return {
        "seconds": round(seconds, 2),
        "languages": [code for code, _name in settings.LANGUAGES],
        "processes": settings.MIRROR_RENDER_PROCESSES,
        "output": out.getvalue().strip(),
        "urls": len(set(every_url())),
        "files": files,
        "megabytes": round(size / 1e6, 1),
    }


def _time_publish(
    publish: Callable[[], Any], page: Callable[[Any], str], text: str, profiler: Any = None
) -> dict[str, Any]:
    """One publish, dispatched in process: wall time to the swap and to the return, CPU time."""
    from django.conf import settings

    from notifier.models import Delivery, DeliveryState

    current = Path(settings.MIRROR_LOCAL_DIR) / "current"
    before = current.resolve()
    phases = Phases()
    with phases.installed():
        if profiler is not None:
            profiler.enable()
        start, cpu = perf_counter(), time.process_time()
        subject = publish()
        elapsed, cpu = perf_counter() - start, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
    after = current.resolve()
    delivery = Delivery.objects.filter(channel="mirror_local").latest("id")
    shown = (after / page(subject)).read_text()
    if after == before or text not in shown or delivery.state != DeliveryState.SENT:
        raise SystemExit(f"a publish did not reach the mirror: {delivery.last_error}")
    transaction = phases.marks["committed"] - start
    accounted = transaction + sum(
        seconds for name, seconds in phases.seconds.items() if not name.startswith(SHARE_PREFIX)
    )
    return {
        "seconds": round(elapsed, 4),
        "swapped_seconds": round(phases.marks["swapped"] - start, 4),
        "cpu_seconds": round(cpu, 4),
        "phases": {
            "the action's transaction (commit included)": round(transaction, 4),
            **{k: round(v, 4) for k, v in sorted(phases.seconds.items())},
            "dispatch, ledger and the rest": round(max(0.0, elapsed - accounted), 4),
        },
        "counts": dict(phases.counts),
        "reference": delivery.reference,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run (this process's first publish) apart; medians of the others."""
    first, measured = runs[0], runs[1:]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in measured), 4)

    return {
        "first_seconds": first["seconds"],
        "median_seconds": median("seconds"),
        "median_swapped_seconds": median("swapped_seconds"),
        "median_cpu_seconds": median("cpu_seconds"),
        "min_seconds": round(min(r["seconds"] for r in measured), 4),
        "max_seconds": round(max(r["seconds"] for r in measured), 4),
        "n": len(measured),
        "median_phases": {
            name: round(statistics.median(r["phases"][name] for r in measured), 4)
            for name in measured[0]["phases"]
        },
        "rendered": measured[-1]["counts"],
        "reference": measured[-1]["reference"],
        "runs": runs,
    }


def child_publishes(
    count: int, opens: int, refreshes: int, profile_out: Path | None
) -> dict[str, Any]:
    """Time incident updates (the goal's measure), then new incidents, to the swapped mirror;
    then beat's refresh after a status set alone."""
    import actions
    from incidents.models import Component, ComponentStatus, Incident, IncidentStatus
    from statuspage.celery import app

    app.conf.task_always_eager = True  # commit -> dispatch task -> delivery task -> channel
    incident = Incident.objects.filter(resolved_at__isnull=True).order_by("-started_at").first()
    assert incident is not None, "the generated history has an open incident"
    statuses = [IncidentStatus.MONITORING, IncidentStatus.IDENTIFIED]
    profiler = cProfile.Profile() if profile_out else None
    updates = []
    for n in range(count + 1):  # the first warms this process up and is reported apart
        body = f"Benchmark update {n}: the fix is rolling out to the remaining servers."
        updates.append(
            _time_publish(
                lambda n=n, body=body: (
                    actions.post_incident_update(
                        incident, status=statuses[n % 2], body=body
                    ).incident
                ),
                lambda subject: f"incidents/{subject.pk}/index.html",
                body,
                profiler if n == 1 else None,
            )
        )
    component = Component.objects.order_by("pk").last()
    openings = []
    for n in range(opens + 1):
        body = f"Benchmark incident {n}: we are looking into slow logins."
        openings.append(
            _time_publish(
                lambda n=n, body=body: actions.open_incident(
                    title=f"Benchmark incident {n}",
                    body=body,
                    component_statuses={component: ComponentStatus.DEGRADED_PERFORMANCE},
                ),
                lambda subject: f"incidents/{subject.pk}/index.html",
                body,
            )
        )
    if profiler is not None and profile_out is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        text.write("# one incident update to the local mirror, dispatched in process (cProfile)\n")
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(25)
        profile_out.parent.mkdir(exist_ok=True)
        profile_out.write_text(text.getvalue())
    return {
        "update": _summary(updates),
        "open": _summary(openings),
        "refresh": _time_refreshes(component, refreshes),
    }


def _time_refreshes(component: Any, count: int) -> dict[str, Any]:
    """beat's mirror refresh after a component status set alone (no notice, no delivery)."""
    import actions
    from incidents.models import ComponentStatus
    from notifier.mirror.tasks import refresh_mirrors

    refresh_mirrors()  # catch up with the publishes above first: they moved the token too
    statuses = [ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.OPERATIONAL]
    runs = []
    for n in range(count):
        actions.set_component_status(component, statuses[n % 2])
        start, cpu = perf_counter(), time.process_time()
        outcome = refresh_mirrors()["mirror_local"]
        elapsed, cpu = perf_counter() - start, time.process_time() - cpu
        if not outcome.endswith("(refresh)"):
            raise SystemExit(f"a refresh did not reach the mirror: {outcome}")
        runs.append({"seconds": round(elapsed, 4), "cpu_seconds": round(cpu, 4)})
    return {
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 4),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 4),
        "min_seconds": min(r["seconds"] for r in runs),
        "max_seconds": max(r["seconds"] for r in runs),
        "n": len(runs),
        "reference": outcome,
    }


def child_main(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()
    if args.step == "build":
        result = child_build(args.quick)
    elif args.step == "full":
        result = child_full_build()
    else:
        result = child_publishes(args.publishes, args.opens, args.refreshes, args.profile)
    args.out.write_text(json.dumps(result, indent=2))
    return 0
