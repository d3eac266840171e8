"""The office pages' snapshots: the inbox's counts and rows, the dashboard's counters.

Who may fetch them is in the access table (tests/backoffice/test_access.py, ``inbox-live`` and
``dashboard-live``); here: what they hold, that they match their pages, and what they cost.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from routing import services
from tests.conftest import Cast

INBOX = reverse("backoffice:backoffice-inbox")
INBOX_LIVE = reverse("backoffice:backoffice-inbox-live")
DASHBOARD = reverse("backoffice:backoffice-dashboard")
DASHBOARD_LIVE = reverse("backoffice:backoffice-dashboard-live")


def test_the_inbox_snapshot_has_the_tab_counts_and_the_rows_of_the_tab_on_screen(client, submit, cast: Cast):
    first, second = submit().petition.case, submit(phone="0987 654 321").petition.case
    elsewhere = submit(commune=cast.other_officer.membership.unit, phone="0911 222 333").petition.case
    services.case_accept(case_id=first.pk, actor=cast.officer)
    client.force_login(cast.officer)

    triage = client.get(INBOX_LIVE, {"tab": "triage"}).json()
    assert triage["tab"] == "triage"
    assert (triage["counts"]["triage"], triage["counts"]["mine"], triage["counts"]["open"]) == (1, 1, 2)
    table = triage["html"]["table"]
    assert second.petition.tracking_code in table and first.petition.tracking_code not in table
    assert elsewhere.petition.tracking_code not in str(triage)
    assert f'value="{second.pk}:{second.version}"' in table  # the bulk form's tick boxes

    closed = client.get(INBOX_LIVE, {"tab": "closed"}).json()
    assert 'type="checkbox"' not in closed["html"]["table"]  # nothing to act on: no tick boxes


def test_the_inbox_snapshot_keeps_the_pages_filters_and_page(client, submit, cast: Cast, category):
    codes = [submit(phone=f"0912 000 {n:03d}").petition.tracking_code for n in range(27)]
    client.force_login(cast.officer)
    second_page = client.get(INBOX_LIVE, {"tab": "triage", "sort": "oldest", "page": "2"}).json()
    assert [code in second_page["html"]["table"] for code in codes] == [False] * 25 + [True] * 2
    assert 'rel="prev"' in second_page["html"]["pager"]
    searched = client.get(INBOX_LIVE, {"tab": "triage", "q": codes[3]}).json()
    assert codes[3] in searched["html"]["table"] and codes[4] not in searched["html"]["table"]


def test_the_inbox_page_is_made_of_the_snapshots_fragments(client, submit, cast: Cast):
    submit()
    client.force_login(cast.officer)
    page = client.get(INBOX, {"tab": "triage"}).content.decode()
    snapshot = client.get(INBOX_LIVE, {"tab": "triage"}).json()
    assert snapshot["html"]["table"].strip() in page
    assert snapshot["html"]["pager"].strip() in page
    assert f'data-live-count="triage">{snapshot["counts"]["triage"]}<' in page


def test_the_inbox_asks_for_the_tab_it_shows_not_the_default_of_the_moment(client, submit, cast: Cast):
    submit()
    client.force_login(cast.officer)
    page = client.get(INBOX).content.decode()  # no tab: the default one, triage here
    assert f'data-live-snapshot="{INBOX_LIVE}?tab=triage"' in page
    assert 'data-live-socket="/ws/office/inbox/"' in page


def test_the_inbox_snapshots_query_count_is_bounded(
    client, submit, cast: Cast, django_assert_max_num_queries
):
    for n in range(30):
        submit(phone=f"0912 000 {n:03d}")
    client.force_login(cast.officer)
    with django_assert_max_num_queries(9):
        response = client.get(INBOX_LIVE, {"tab": "triage"})
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_the_dashboard_snapshot_has_the_summary_counters(client, submit, cast: Cast):
    cases = [submit(phone=f"0912 000 {n:03d}").petition.case for n in range(3)]
    services.case_accept(case_id=cases[0].pk, actor=cast.officer)
    client.force_login(cast.province_leader)
    data = client.get(DASHBOARD_LIVE, {"unit": "W00070", "period": "30"}).json()
    assert data["unit"] == "W00070"
    assert data["counters"] == {"open": 3, "overdue": 0, "received": 3}
    assert sorted(data["html"]) == ["alerts", "open", "summary"]
    own = client.get(DASHBOARD_LIVE).json()  # no unit: the leader's own, the last 30 days
    assert own["unit"] == "P01" and own["counters"]["open"] == 3


def test_the_dashboard_page_is_made_of_the_snapshots_fragments(client, submit, cast: Cast):
    submit()
    client.force_login(cast.province_leader)
    page = client.get(DASHBOARD, {"unit": "W00070"}).content.decode()
    snapshot = client.get(DASHBOARD_LIVE, {"unit": "W00070", "period": "30"}).json()
    for name in ("alerts", "summary", "open"):
        assert snapshot["html"][name].strip() in page, name
    assert 'data-live-socket="/ws/office/dashboard/?unit=W00070"' in page
    assert f'data-live-snapshot="{DASHBOARD_LIVE}?unit=W00070&amp;period=30"' in page


def test_the_dashboard_snapshot_refuses_a_bad_period(client, cast: Cast):
    client.force_login(cast.leader)
    response = client.get(DASHBOARD_LIVE, {"period": "custom", "since": "2026-11-09", "until": "2026-11-02"})
    assert response.status_code == 400


def test_the_dashboard_snapshots_query_count_is_bounded(
    client, submit, cast: Cast, django_assert_max_num_queries: Any
):
    for n in range(10):
        case = submit(phone=f"0912 000 {n:03d}").petition.case
        if n % 2:
            services.case_accept(case_id=case.pk, actor=cast.officer)
    client.force_login(cast.central_leader)
    client.get(DASHBOARD_LIVE)  # what each process reads once and then holds (units, the rollups' state)
    with django_assert_max_num_queries(10):
        response = client.get(DASHBOARD_LIVE)
    assert response.status_code == 200
    assert response.json()["counters"]["open"] == 10
