"""The published uptime formula: weights, maintenance left out, no data, groups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from incidents.models.uptime import (
    NO_DATA,
    DaySeconds,
    Weights,
    histories,
    history_from,
    percent_text,
    uptime,
    worst_of,
)
from incidents.models.uptime_strip import Strip, worst_of_strips
from incidents.models.uptime_summary import bar_histories, bar_strips, row_strips
from tests.factories import DAY_SECONDS, make_component, make_uptime_day

DEFAULT = Weights(major_outage=1.0, partial_outage=0.3, degraded_performance=0.0)
DAY = date(2026, 3, 10)


def test_a_day_without_trouble_is_fully_up():
    assert uptime([DaySeconds(DAY, observed=DAY_SECONDS)], DEFAULT) == 1.0


def test_a_major_outage_counts_fully_and_a_partial_one_by_its_weight():
    day = DaySeconds(DAY, observed=10_000, major_outage=100, partial_outage=1_000)

    assert uptime([day], DEFAULT) == pytest.approx(1 - (100 + 300) / 10_000)


def test_degraded_performance_counts_nothing_by_default_and_its_weight_when_set():
    day = DaySeconds(DAY, observed=10_000, degraded_performance=5_000)

    assert uptime([day], DEFAULT) == 1.0
    assert uptime([day], Weights(1.0, 0.3, 0.5)) == pytest.approx(0.75)


def test_maintenance_is_left_out_of_both_sides():
    day = DaySeconds(DAY, observed=10_000, under_maintenance=5_000, major_outage=500)

    assert uptime([day], DEFAULT) == pytest.approx(1 - 500 / 5_000)


def test_a_day_nobody_observed_is_no_data_not_full_uptime():
    assert uptime([DaySeconds(DAY)], DEFAULT) is None
    assert percent_text(None) == "no data"


def test_a_day_all_in_maintenance_is_not_counted():
    day = DaySeconds(DAY, observed=DAY_SECONDS, under_maintenance=DAY_SECONDS)

    assert uptime([day], DEFAULT) is None


def test_a_range_weighs_each_day_by_its_counted_seconds():
    half_observed = DaySeconds(DAY, observed=DAY_SECONDS // 2, major_outage=DAY_SECONDS // 2)
    full = DaySeconds(DAY + timedelta(days=1), observed=DAY_SECONDS)

    assert uptime([half_observed, full], DEFAULT) == pytest.approx(1 - 0.5 / 1.5)


def test_percentages_are_rounded_down_so_any_downtime_shows():
    assert percent_text(0.99999) == "99.99%"
    assert percent_text(0.5) == "50.00%"
    assert percent_text(1.0) == "100%"


@pytest.mark.django_db
def test_histories_fill_days_without_rows_with_no_data(settings):
    imap = make_component("IMAP")
    make_uptime_day(imap, DAY, major_outage_seconds=8_640, incident_ids=[7])

    history = histories([imap.pk], DAY + timedelta(days=1), 3)[imap.pk]

    assert [d.day for d in history.days] == [DAY - timedelta(days=1), DAY, DAY + timedelta(1)]
    assert [d.ratio for d in history.days] == [None, pytest.approx(0.9), None]
    assert [d.status for d in history.days] == [NO_DATA, "major_outage", NO_DATA]
    assert history.days[1].incident_ids == (7,)
    assert history.ratio == pytest.approx(0.9)


@pytest.mark.django_db
def test_the_weights_come_from_the_settings(settings):
    settings.UPTIME_WEIGHT_PARTIAL_OUTAGE = 1.0
    imap = make_component("IMAP")
    make_uptime_day(imap, DAY, partial_outage_seconds=DAY_SECONDS // 4)

    assert histories([imap.pk], DAY, 1)[imap.pk].ratio == pytest.approx(0.75)


@pytest.mark.django_db
def test_a_group_shows_each_day_the_worst_of_its_members():
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    make_uptime_day(imap, DAY, partial_outage_seconds=DAY_SECONDS, incident_ids=[1])
    make_uptime_day(smtp, DAY, degraded_performance_seconds=DAY_SECONDS)
    make_uptime_day(imap, DAY + timedelta(1))
    make_uptime_day(smtp, DAY + timedelta(1), major_outage_seconds=DAY_SECONDS // 2)
    found = histories([imap.pk, smtp.pk], DAY + timedelta(1), 2)

    group = worst_of([found[imap.pk], found[smtp.pk]])

    assert [d.ratio for d in group.days] == [pytest.approx(0.7), pytest.approx(0.5)]
    assert [d.status for d in group.days] == ["partial_outage", "major_outage"]
    assert group.days[0].incident_ids == (1,)
    assert group.ratio == min(found[imap.pk].ratio, found[smtp.pk].ratio)


def _same(a, b) -> None:
    assert [(d.day, d.status, d.incident_ids) for d in a.days] == [
        (d.day, d.status, d.incident_ids) for d in b.days
    ]
    assert [d.ratio for d in a.days] == [pytest.approx(d.ratio) for d in b.days]
    assert a.ratio == pytest.approx(b.ratio)


@pytest.mark.django_db
def test_the_status_pages_read_tells_the_same_as_the_day_by_day_read():
    imap, smtp, pop, web = (make_component(n) for n in ("IMAP", "SMTP", "POP", "Web"))
    for n in range(20):  # IMAP: twenty days, two of them not quiet
        make_uptime_day(imap, DAY - timedelta(days=n), observed_seconds=80_000 + n)
    imap.uptime_days.filter(day=DAY - timedelta(days=3)).update(
        partial_outage_seconds=40_000, worst_status="partial_outage", incident_ids=[4]
    )
    imap.uptime_days.filter(day=DAY).update(
        under_maintenance_seconds=1000, worst_status="under_maintenance"
    )
    make_uptime_day(smtp, DAY - timedelta(days=6), major_outage_seconds=500)  # a gap between
    make_uptime_day(smtp, DAY - timedelta(days=1))
    make_uptime_day(pop, DAY, observed_seconds=0, worst_status="operational")  # observed nothing

    exact = histories([imap.pk, smtp.pk, pop.pk, web.pk], DAY, 10)
    summary = bar_histories([imap.pk, smtp.pk, pop.pk, web.pk], DAY, 10)

    for pk in exact:
        _same(summary[pk], exact[pk])
    assert summary[smtp.pk].days[-3].status == NO_DATA  # inside the gap
    assert summary[pop.pk].ratio is None and summary[web.pk].ratio is None


@pytest.mark.django_db
def test_the_read_of_the_rows_is_one_query_without_gaps(django_assert_num_queries):
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    for n in range(30):
        make_uptime_day(imap, DAY - timedelta(days=n))
        make_uptime_day(smtp, DAY - timedelta(days=n), incident_ids=[n] if n % 5 == 0 else [])

    with django_assert_num_queries(1):
        row_strips([imap.pk, smtp.pk], DAY, 90)


@pytest.mark.django_db
def test_a_groups_strip_tells_the_same_as_the_worst_of_its_members_day_by_day():
    imap, smtp, pop = (make_component(n) for n in ("IMAP", "SMTP", "POP"))
    for n in range(3, 6):  # IMAP: three days, one with an incident
        make_uptime_day(imap, DAY - timedelta(days=n), incident_ids=[7] if n == 4 else [])
    for n in range(8, 10):  # SMTP: two older days, a gap to IMAP's; one partly down
        make_uptime_day(smtp, DAY - timedelta(days=n), major_outage_seconds=600 * (n - 8))
    make_uptime_day(pop, DAY, observed_seconds=0, worst_status="operational")

    exact = histories([imap.pk, smtp.pk, pop.pk], DAY, 12)
    strips = bar_strips([imap.pk, smtp.pk, pop.pk], DAY, 12)
    group = worst_of_strips([strips[imap.pk], strips[smtp.pk], strips[pop.pk]])

    _same(group.history(), worst_of([exact[imap.pk], exact[smtp.pk], exact[pop.pk]]))
    assert group.history().days[-7].status == NO_DATA  # between SMTP's days and IMAP's
    assert [d.day for d in group.notable_days] == [DAY - timedelta(days=4), DAY - timedelta(9)]


def test_any_history_reads_the_same_as_a_strip():
    days = [DAY - timedelta(days=n) for n in range(4, -1, -1)]
    seconds = {
        days[1]: DaySeconds(days[1], observed=DAY_SECONDS, worst_status="operational"),
        days[2]: DaySeconds(
            days[2], observed=DAY_SECONDS, partial_outage=60, worst_status="partial_outage"
        ),
        days[4]: DaySeconds(days[4], observed=100, worst_status="operational"),
    }
    history = history_from(seconds, days, DEFAULT)

    _same(Strip.from_history(history).history(), history)
