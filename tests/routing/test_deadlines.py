"""Working-day arithmetic, SLA policies, and how transitions set the case's deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from petitions.models import Category
from routing import services
from routing.deadlines import (
    DEFAULT_POLICIES,
    add_working_days,
    is_working_day,
    policy_for,
    working_days_between,
)
from routing.errors import TransitionNotPossible
from routing.models import Case, CaseEvent, CaseState, EventKind, Level, SLAPolicy
from tests.conftest import Cast, Tree, advance, citizen_of, fresh

S = CaseState
REASON = "Cần thêm thời gian khảo sát hiện trường."


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in Vietnamese local time."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 23, 59, 59))


def staff_at(cast: Cast, level: str) -> tuple[User, User]:
    return {
        Level.COMMUNE: (cast.officer, cast.leader),
        Level.PROVINCE: (cast.province_officer, cast.province_leader),
        Level.CENTRAL: (cast.central_officer, cast.central_leader),
    }[Level(level)]


def new_case(submit: Any, level: str = Level.COMMUNE, **overrides: Any) -> Case:
    target = "" if level == Level.COMMUNE else level
    return submit(target_level=target, **overrides).petition.case  # type: ignore[no-any-return]


def event_time(case: Case, kind: str) -> dt.datetime:
    return CaseEvent.objects.filter(case=case, kind=kind).latest("id").created_at


# --- working days ----------------------------------------------------------------------


def test_the_sanity_of_the_calendar_used_below() -> None:
    assert dt.date(2025, 3, 7).weekday() == 4  # a Friday
    assert dt.date(2026, 2, 13).weekday() == 4  # the Friday before the lunar New Year


def test_one_working_day_after_a_friday_ends_on_monday() -> None:
    assert add_working_days(at(2025, 3, 7), 1) == end_of(2025, 3, 10)


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(at(2025, 3, 6), 3) == end_of(2025, 3, 11)
    assert add_working_days(at(2025, 3, 3), 10) == end_of(2025, 3, 17)


def test_a_clock_started_at_the_weekend_counts_from_monday() -> None:
    assert add_working_days(at(2025, 3, 8), 1) == end_of(2025, 3, 10)
    assert add_working_days(at(2025, 3, 9, 23, 30), 1) == end_of(2025, 3, 10)


def test_a_deadline_is_the_end_of_the_local_day() -> None:
    due = timezone.localtime(add_working_days(at(2025, 3, 7, 8), 2))
    assert (due.date(), due.time()) == (dt.date(2025, 3, 11), dt.time(23, 59, 59))


def test_zero_working_days_ends_the_same_day() -> None:
    assert add_working_days(at(2025, 3, 8), 0) == end_of(2025, 3, 8)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(at(2025, 3, 7), -1)


def test_the_local_date_counts_not_the_utc_date() -> None:
    # 18:00 UTC on Thursday is 01:00 on Friday in Hà Nội.
    start = dt.datetime(2025, 3, 6, 18, 0, tzinfo=dt.UTC)
    assert add_working_days(start, 1) == end_of(2025, 3, 10)


def test_the_lunar_new_year_2026_is_not_worked() -> None:
    for day in range(16, 21):
        assert not is_working_day(dt.date(2026, 2, day))
    assert is_working_day(dt.date(2026, 2, 13))
    assert is_working_day(dt.date(2026, 2, 23))


def test_a_deadline_spanning_the_lunar_new_year_moves_past_it() -> None:
    assert add_working_days(at(2026, 2, 13), 1) == end_of(2026, 2, 23)
    assert add_working_days(at(2026, 2, 12), 3) == end_of(2026, 2, 24)
    assert add_working_days(at(2026, 2, 9), 10) == end_of(2026, 3, 2)


def test_a_deadline_spanning_the_may_holidays_moves_past_them() -> None:
    # 30 April and 1 May 2026 are a Thursday and a Friday.
    assert add_working_days(at(2026, 4, 29), 1) == end_of(2026, 5, 4)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(at(2025, 3, 7), at(2025, 3, 7, 17), 0, id="same-day"),
        pytest.param(at(2025, 3, 7), at(2025, 3, 10), 1, id="friday-to-monday"),
        pytest.param(at(2025, 3, 10), at(2025, 3, 14), 4, id="monday-to-friday"),
        pytest.param(at(2025, 3, 10), at(2025, 3, 17), 5, id="a-week"),
        pytest.param(at(2025, 3, 8), at(2025, 3, 9), 0, id="a-weekend"),
        pytest.param(at(2026, 2, 13), at(2026, 2, 23), 1, id="across-the-lunar-new-year"),
        pytest.param(at(2026, 2, 13), at(2026, 2, 20), 0, id="into-the-lunar-new-year"),
        pytest.param(at(2025, 3, 14), at(2025, 3, 10), 0, id="end-before-start"),
    ],
)
def test_working_days_between(start: dt.datetime, end: dt.datetime, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_working_days_between_undoes_add_working_days() -> None:
    start = at(2026, 2, 11)
    for days in range(12):
        assert working_days_between(start, add_working_days(start, days)) == days


# --- SLA policies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "resolution_days"),
    [(Level.COMMUNE, 10), (Level.PROVINCE, 15), (Level.CENTRAL, 20)],
)
def test_default_deadlines_at_each_level(submit: Any, cast: Cast, level: str, resolution_days: int) -> None:
    case = new_case(submit, level, now=at(2026, 2, 12))
    assert case.unit.level == level
    assert case.triage_due_at == case.due_at == end_of(2026, 2, 24)  # 3 working days

    officer, _leader = staff_at(cast, level)
    services.case_accept(case_id=case.pk, actor=officer)

    case = fresh(case)
    assert case.resolution_due_at == add_working_days(case.triaged_at, resolution_days)
    assert working_days_between(case.triaged_at, case.resolution_due_at) == resolution_days
    assert case.due_at == case.resolution_due_at


def test_the_built_in_defaults_apply_without_any_policy_rows(
    submit: Any, cast: Cast, category: Category
) -> None:
    SLAPolicy.objects.all().delete()
    assert policy_for(Level.PROVINCE, category) == DEFAULT_POLICIES["province"]
    case = new_case(submit, now=at(2026, 2, 12))
    assert case.triage_due_at == end_of(2026, 2, 24)
    services.case_accept(case_id=case.pk, actor=cast.officer)
    case = fresh(case)
    assert case.resolution_due_at == add_working_days(case.triaged_at, 10)


def test_editing_the_level_default_changes_new_deadlines(submit: Any, cast: Cast) -> None:
    SLAPolicy.objects.filter(level=Level.COMMUNE, category=None).update(triage_days=2, resolution_days=12)
    case = new_case(submit, now=at(2026, 2, 12))
    assert case.triage_due_at == end_of(2026, 2, 23)
    services.case_accept(case_id=case.pk, actor=cast.officer)
    case = fresh(case)
    assert case.resolution_due_at == add_working_days(case.triaged_at, 12)


def test_a_category_policy_overrides_the_level_default(submit: Any, cast: Cast, category: Category) -> None:
    SLAPolicy.objects.create(
        level=Level.COMMUNE,
        category=category,
        triage_days=1,
        resolution_days=4,
        feedback_days=2,
        max_extension_days=3,
    )
    case = new_case(submit, now=at(2026, 2, 12))
    assert case.triage_due_at == end_of(2026, 2, 13)

    services.case_accept(case_id=case.pk, actor=cast.officer)
    case = fresh(case)
    assert case.resolution_due_at == add_working_days(case.triaged_at, 4)

    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã xử lý.")
    services.case_approve(case_id=case.pk, actor=cast.leader)
    case = fresh(case)
    assert case.feedback_due_at == case.responded_at + dt.timedelta(days=2)


def test_a_category_policy_leaves_other_categories_and_levels_alone(submit: Any, category: Category) -> None:
    SLAPolicy.objects.create(level=Level.COMMUNE, category=category, triage_days=1)
    transport = Category.objects.get(code="transport")
    assert new_case(submit, category=transport, now=at(2026, 2, 12)).triage_due_at == end_of(2026, 2, 24)
    assert new_case(submit, Level.PROVINCE, now=at(2026, 2, 12)).triage_due_at == end_of(2026, 2, 24)


# --- deadlines restart at a new unit ---------------------------------------------------------


def test_escalation_restarts_the_triage_clock_at_the_parent_with_its_policy(
    submit: Any, cast: Cast, category: Category
) -> None:
    SLAPolicy.objects.create(level=Level.PROVINCE, category=category, triage_days=5)
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    services.case_extend(case_id=case.pk, actor=cast.leader, days=2, reason=REASON)
    Case.objects.filter(pk=case.pk).update(is_overdue=True, overdue_since=timezone.now())

    services.case_escalate(case_id=case.pk, actor=cast.officer, reason=REASON)

    case = fresh(case)
    now = event_time(case, EventKind.ESCALATE)
    assert (case.state, case.unit.level) == (S.SUBMITTED, Level.PROVINCE)
    assert case.triage_due_at == case.due_at == add_working_days(now, 5)
    assert case.resolution_due_at is None and case.triaged_at is None
    assert case.assignee is None
    assert not case.extension_used
    assert not case.is_overdue and case.overdue_since is None


def test_transfer_restarts_the_triage_clock_at_the_sibling(submit: Any, cast: Cast, tree: Tree) -> None:
    case = new_case(submit)
    past = timezone.now() - dt.timedelta(days=10)
    Case.objects.filter(pk=case.pk).update(
        triage_due_at=past, due_at=past, is_overdue=True, overdue_since=past
    )

    services.case_transfer(case_id=case.pk, actor=cast.leader, unit=tree.cua_nam, reason=REASON)

    case = fresh(case)
    now = event_time(case, EventKind.TRANSFER)
    assert case.unit == tree.cua_nam
    assert case.triage_due_at == case.due_at == add_working_days(now, 3)
    assert not case.is_overdue and case.overdue_since is None


def test_return_down_restarts_the_triage_clock_below_with_its_policy(
    submit: Any, cast: Cast, tree: Tree, category: Category
) -> None:
    SLAPolicy.objects.create(level=Level.COMMUNE, category=category, triage_days=2)
    case = new_case(submit, Level.PROVINCE)
    past = timezone.now() - dt.timedelta(days=10)
    Case.objects.filter(pk=case.pk).update(triage_due_at=past, due_at=past, is_overdue=True)

    services.case_return_down(case_id=case.pk, actor=cast.province_leader, unit=tree.cua_nam, reason=REASON)

    case = fresh(case)
    now = event_time(case, EventKind.RETURN_DOWN)
    assert case.unit == tree.cua_nam
    assert case.triage_due_at == case.due_at == add_working_days(now, 2)
    assert not case.is_overdue


# --- extensions --------------------------------------------------------------------------------


def test_extend_moves_the_resolution_deadline_once_per_unit(submit: Any, cast: Cast, tree: Tree) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    original = case.resolution_due_at

    services.case_extend(case_id=case.pk, actor=cast.leader, days=5, reason=REASON)
    case = fresh(case)
    assert case.resolution_due_at == case.due_at == add_working_days(original, 5)
    assert case.extension_used
    assert case.events.get(kind=EventKind.EXTEND).data == {"days": 5}

    with pytest.raises(TransitionNotPossible):
        services.case_extend(case_id=case.pk, actor=cast.leader, days=1, reason=REASON)
    assert fresh(case).resolution_due_at == add_working_days(original, 5)

    # A new unit grants a new extension.
    services.case_escalate(case_id=case.pk, actor=cast.officer, reason=REASON)
    services.case_accept(case_id=case.pk, actor=cast.province_officer)
    case = fresh(case)
    assert case.unit == tree.hanoi
    at_province = case.resolution_due_at
    services.case_extend(case_id=case.pk, actor=cast.province_leader, days=3, reason=REASON)
    case = fresh(case)
    assert case.resolution_due_at == case.due_at == add_working_days(at_province, 3)


def test_extend_after_a_send_back_is_still_once(submit: Any, cast: Cast) -> None:
    case = advance(new_case(submit), S.PENDING_APPROVAL, cast)
    services.case_extend(case_id=case.pk, actor=cast.leader, days=2, reason=REASON)
    services.case_send_back(case_id=case.pk, actor=cast.leader, note="Bổ sung số liệu.")
    with pytest.raises(TransitionNotPossible):
        services.case_extend(case_id=case.pk, actor=cast.leader, days=2, reason=REASON)


@pytest.mark.parametrize("days", [0, -3, 11, 30])
def test_extend_outside_one_to_max_extension_days_is_a_validation_error(
    submit: Any, cast: Cast, days: int
) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    with pytest.raises(ValidationError) as excinfo:
        services.case_extend(case_id=case.pk, actor=cast.leader, days=days, reason=REASON)
    assert "days" in excinfo.value.message_dict
    after = fresh(case)
    assert (after.resolution_due_at, after.version, after.extension_used) == (
        case.resolution_due_at,
        case.version,
        False,
    )


def test_extend_is_limited_by_the_category_policy(submit: Any, cast: Cast, category: Category) -> None:
    SLAPolicy.objects.create(level=Level.COMMUNE, category=category, max_extension_days=3)
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    with pytest.raises(ValidationError):
        services.case_extend(case_id=case.pk, actor=cast.leader, days=4, reason=REASON)
    services.case_extend(case_id=case.pk, actor=cast.leader, days=3, reason=REASON)
    assert fresh(case).resolution_due_at == add_working_days(case.resolution_due_at, 3)


def test_extend_while_awaiting_an_agency_keeps_the_agency_deadline_current(submit: Any, cast: Cast) -> None:
    case = advance(new_case(submit), S.AWAITING_AGENCY, cast)
    services.case_extend(case_id=case.pk, actor=cast.leader, days=4, reason=REASON)
    after = fresh(case)
    assert after.resolution_due_at == add_working_days(case.resolution_due_at, 4)
    assert after.due_at == after.agency_due_at == case.agency_due_at


# --- referrals pause the resolution clock ------------------------------------------------------


def test_refer_pauses_the_resolution_clock(submit: Any, cast: Cast) -> None:
    case = advance(new_case(submit), S.IN_PROGRESS, cast)
    due = timezone.localdate() + dt.timedelta(days=12)

    services.case_refer(case_id=case.pk, actor=cast.officer, agency="Sở Xây dựng", due=due)

    after = fresh(case)
    assert after.state == S.AWAITING_AGENCY
    assert after.paused_at == event_time(after, EventKind.REFER)
    assert after.agency_due_at == timezone.make_aware(dt.datetime.combine(due, dt.time(23, 59, 59)))
    assert after.due_at == after.agency_due_at
    assert after.resolution_due_at == case.resolution_due_at


def test_agency_reply_moves_the_resolution_deadline_by_the_paused_working_days(
    submit: Any, cast: Cast
) -> None:
    case = advance(new_case(submit), S.AWAITING_AGENCY, cast)
    paused_at = timezone.now() - dt.timedelta(days=21)
    Case.objects.filter(pk=case.pk).update(paused_at=paused_at)

    services.case_agency_replied(case_id=case.pk, actor=cast.officer, note="Sở đã trả lời.")

    after = fresh(case)
    paused = working_days_between(paused_at, event_time(after, EventKind.AGENCY_REPLIED))
    assert paused >= 10  # three weeks, whatever today is
    assert after.state == S.IN_PROGRESS
    assert after.resolution_due_at == add_working_days(case.resolution_due_at, paused)
    assert after.due_at == after.resolution_due_at
    assert after.paused_at is None and after.agency_due_at is None


def test_a_same_day_agency_reply_leaves_the_resolution_deadline(submit: Any, cast: Cast) -> None:
    case = advance(new_case(submit), S.AWAITING_AGENCY, cast)
    services.case_agency_replied(case_id=case.pk, actor=cast.officer, note="Sở đã trả lời.")
    after = fresh(case)
    assert after.resolution_due_at == after.due_at == case.resolution_due_at


def test_first_dissatisfaction_restarts_the_resolution_clock(submit: Any, cast: Cast) -> None:
    case = advance(new_case(submit), S.RESPONDED, cast)
    services.case_citizen_feedback(
        case_id=case.pk, actor=citizen_of(case), resolved=False, rating=2, comment="Chưa xong."
    )
    after = fresh(case)
    now = event_time(after, EventKind.CITIZEN_UNSATISFIED)
    assert after.resolution_due_at == after.due_at == add_working_days(now, 10)
    assert after.feedback_due_at is None
