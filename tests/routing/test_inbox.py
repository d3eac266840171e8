"""The officers' inbox selector: tabs, filters, sorting, counts, jurisdiction and query cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from petitions.models import Category
from routing import services
from routing.models import Case
from routing.selectors import INBOX_TABS, inbox_cases, inbox_counts
from tests.conftest import advance


@pytest.fixture
def desk(submit, cast, tree):
    """Cases at Hoàn Kiếm in several states, one at Cửa Nam."""
    made = {
        "new": submit(title="Ổ gà trên phố Hàng Bông").petition.case,
        "mine": advance(submit(title="Đèn đường hỏng").petition.case, "in_progress", cast),
        "agency": advance(submit(title="Nước thải tràn").petition.case, "awaiting_agency", cast),
        "approval": advance(submit(title="Rác ùn ứ").petition.case, "pending_approval", cast),
        "closed": advance(submit(title="Cây đổ").petition.case, "rejected", cast),
        "elsewhere": submit(title="Vỉa hè lấn chiếm", commune=tree.cua_nam).petition.case,
    }
    return made


def _titles(cases):
    return {c.petition.title for c in cases}


def test_tabs_hold_the_right_cases(desk, cast):
    officer = cast.officer
    assert _titles(inbox_cases(user=officer, tab="triage")) == {"Ổ gà trên phố Hàng Bông"}
    assert _titles(inbox_cases(user=officer, tab="mine")) == {"Đèn đường hỏng", "Nước thải tràn", "Rác ùn ứ"}
    assert _titles(inbox_cases(user=cast.officer2, tab="mine")) == set()
    assert _titles(inbox_cases(user=officer, tab="agency")) == {"Nước thải tràn"}
    assert _titles(inbox_cases(user=officer, tab="approval")) == {"Rác ùn ứ"}
    assert "Cây đổ" in _titles(inbox_cases(user=officer, tab="closed"))
    assert "Vỉa hè lấn chiếm" not in _titles(inbox_cases(user=officer, tab="open"))


def test_another_communes_officer_sees_none_of_these(desk, cast):
    for tab in INBOX_TABS:
        assert "Ổ gà trên phố Hàng Bông" not in _titles(inbox_cases(user=cast.other_officer, tab=tab))
    assert _titles(inbox_cases(user=cast.other_officer, tab="triage")) == {"Vỉa hè lấn chiếm"}


def test_a_province_leader_has_no_commune_cases_in_the_inbox(desk, cast):
    assert inbox_cases(user=cast.province_leader, tab="open").count() == 0


def test_overdue_tab_and_filter(desk, cast):
    Case.objects.filter(pk=desk["mine"].pk).update(is_overdue=True)
    assert _titles(inbox_cases(user=cast.officer, tab="overdue")) == {"Đèn đường hỏng"}
    assert "Đèn đường hỏng" not in _titles(inbox_cases(user=cast.officer, tab="open", overdue=False))


def test_filters_by_category_date_and_text(desk, cast, submit):
    transport = Category.objects.get(code="transport")
    submit(title="Xe tải chạy vào giờ cấm", category=transport)
    assert _titles(inbox_cases(user=cast.officer, tab="triage", category_id=transport.pk)) == {
        "Xe tải chạy vào giờ cấm"
    }
    assert "Ổ gà trên phố Hàng Bông" in _titles(
        inbox_cases(user=cast.officer, tab="triage", query="hàng bông")
    )
    code = desk["new"].petition.tracking_code
    assert _titles(inbox_cases(user=cast.officer, tab="triage", query=code.lower())) == {
        "Ổ gà trên phố Hàng Bông"
    }
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert inbox_cases(user=cast.officer, tab="triage", since=tomorrow).count() == 0


def test_sorted_by_deadline_by_default(desk, cast, submit):
    later = submit(title="Sau").petition.case
    Case.objects.filter(pk=later.pk).update(due_at=desk["new"].due_at - dt.timedelta(days=1))
    titles = [c.petition.title for c in inbox_cases(user=cast.officer, tab="triage")]
    assert titles[0] == "Sau"


def test_counts_per_tab_in_two_queries(desk, cast, django_assert_num_queries):
    with django_assert_num_queries(2) as captured:
        counts = inbox_counts(cast.officer)
    assert counts["triage"] == 1 and counts["mine"] == 3 and counts["approval"] == 1 and counts["closed"] == 1
    assert counts["open"] == 4 and counts["overdue"] == 0
    # The open tabs never read the unit's closed history.
    assert 'state" IN' in captured.captured_queries[0]["sql"]


def test_listing_costs_one_query_whatever_the_size(submit, cast, django_assert_num_queries):
    for n in range(12):
        case = submit(title=f"Phản ánh {n}").petition.case
        if n % 2:
            services.case_accept(case_id=case.pk, actor=cast.officer)
    with django_assert_num_queries(1):
        rows = [
            (
                c.petition.title,
                c.petition.category.name,
                c.petition.commune.name,
                c.assignee and c.assignee.username,
            )
            for c in inbox_cases(user=cast.officer, tab="open")
        ]
    assert len(rows) == 12


def test_unknown_tab_is_an_error(cast):
    with pytest.raises(ValueError):
        inbox_cases(user=cast.officer, tab="everything")
