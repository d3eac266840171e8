"""The dashboard and the weekly report once the daily rollups exist: the same counts, the
percentiles marked as estimates, and a number of queries that does not grow with the cases."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from routing.rollups import rollups_rebuild

DASHBOARD = reverse("backoffice:backoffice-dashboard")
REPORT = reverse("backoffice:backoffice-weekly-report")
WEEK = {"period": "custom", "since": "2026-11-02", "until": "2026-11-08"}


def test_the_dashboard_marks_estimated_percentiles_and_keeps_the_counts(client, cast, week):
    client.force_login(cast.province_leader)
    live = client.get(DASHBOARD, WEEK).context["perf"]
    assert "≈" not in client.get(DASHBOARD, WEEK).content.decode()
    rollups_rebuild()
    response = client.get(DASHBOARD, WEEK)
    rolled = response.context["perf"]
    assert rolled.estimated
    assert (rolled.total.open, rolled.total.received, rolled.total.responded, rolled.total.on_time) == (
        live.total.open,
        live.total.received,
        live.total.responded,
        live.total.on_time,
    )
    body = response.content.decode()
    assert "≈ " in body
    assert "every count and on-time rate is exact" in body or "chính xác" in body


def test_the_weekly_report_csv_has_the_same_counts_from_the_rollup(client, cast, week):
    client.force_login(cast.province_leader)

    def counts() -> list[list[str]]:
        response = client.get(REPORT, {"week": "2026-W45", "format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        # row, code, name, open, overdue, received, triaged, (p50, p90), responded, on-time rate
        return [[*row[:7], *row[9:11]] for row in rows[1:]]

    before = counts()
    rollups_rebuild()
    assert counts() == before


def test_the_rolled_dashboard_costs_the_same_queries_for_ten_or_two_hundred_cases(
    client, cast, submit, django_assert_max_num_queries
):
    client.force_login(cast.central_leader)
    for _ in range(10):
        submit()
    rollups_rebuild()
    with django_assert_max_num_queries(25) as small:
        client.get(DASHBOARD, {"period": "90"})
    for _ in range(40):
        submit()
    rollups_rebuild()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(DASHBOARD, {"period": "90"})
    assert response.context["perf"].total.received == 50


def test_a_row_s_cells_mark_overdue_counts_and_estimates_in_one_tag():
    from django.utils import translation

    from backoffice.tables import PERFORMANCE_COLUMNS
    from backoffice.templatetags.office_tags import cells
    from routing.metrics import Row

    row = Row(key="x", open=3, overdue=2, triage_p50=7200.0, estimated=True)
    with translation.override("en"):
        html = cells(row, PERFORMANCE_COLUMNS)
        total = cells(row, PERFORMANCE_COLUMNS, mark_overdue=False)
    assert html.count("<td") == len(PERFORMANCE_COLUMNS)
    assert '<td class="num">3</td><td class="num deadline-overdue">2</td>' in html
    assert '<td class="num">2</td>' in total and "deadline-overdue" not in total
    assert "≈ 2.0 h" in html  # an estimate from the histograms is marked
    assert "—" in html  # nothing to measure


def test_durations_and_rates_read_in_the_page_s_language():
    from django.utils import translation

    from backoffice.templatetags.office_tags import duration, rate

    for language, hours, days, percent in (
        ("vi", "1,5 giờ", "3,2 ngày", "87,5 %"),
        ("en", "1.5 h", "3.2 days", "87.5 %"),
    ):
        with translation.override(language):
            assert (duration(5400), duration(3.2 * 86400), rate(0.875)) == (hours, days, percent)
            assert duration(None) == rate(None) == "—"


def test_the_daily_table_names_each_day_as_the_date_filter_would():
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    from backoffice.leaders import _daily_rows
    from routing.metrics import Performance, Row

    days = [(dt.date(2026, 11, 30) + dt.timedelta(days=n), n, 2 * n) for n in range(8)]
    perf = Performance(
        scope=None,  # type: ignore[arg-type]
        since=days[0][0],
        until=days[-1][0],
        total=Row(key="all"),
        units=[],
        categories=[],
        daily=days,
    )
    for language in ("vi", "en"):
        with translation.override(language):
            expected = [Template('{{ d|date:"D d/m" }}').render(Context({"d": day})) for day, _r, _s in days]
            assert [label for label, _r, _s in _daily_rows(perf)] == expected
            assert [(r, s) for _l, r, s in _daily_rows(perf)] == [(r, s) for _d, r, s in days]
