"""Public statistics: hand-computed numbers, breakdowns, windows, query counts, cache and published responses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from petitions import stats
from petitions.models import Category
from petitions.stats import (
    Row,
    Summary,
    last_12_months,
    last_30_days,
    public_breakdown,
    public_summary,
    published_responses,
)
from routing import services
from routing.actors import CitizenActor
from routing.models import Case, CaseState, Role, Unit
from tests.conftest import Cast, Tree, make_staff

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
T = dt.datetime(2025, 6, 2, 9, 0, tzinfo=HCMC)  # a Monday
DAY = dt.timedelta(days=1)
ON_PG = connection.vendor == "postgresql"
#: PostgreSQL takes the median in the aggregate query; SQLite needs one more query for it.
STATS_QUERIES = 1 if ON_PG else 2

EMPTY = Summary(
    received=0,
    answered=0,
    on_time=0,
    rated=0,
    on_time_rate=None,
    median_response_days=None,
    satisfaction=None,
)


@pytest.fixture(autouse=True)
def _stats_cache(settings: Any) -> Any:
    """A private local-memory cache, empty at the start of each test."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests-public-stats",
        }
    }
    cache.clear()
    yield
    cache.clear()


def summary(**kwargs: Any) -> Summary:
    """A fresh (uncached) summary."""
    cache.clear()
    return public_summary(**kwargs)


def breakdown(**kwargs: Any) -> list[Row]:
    """A fresh (uncached) breakdown."""
    cache.clear()
    return public_breakdown(**kwargs)


@dataclass
class Staff:
    officer: User
    leader: User


@pytest.fixture
def staff(cast: Cast, tree: Tree) -> dict[str, Staff]:
    return {
        "hoan_kiem": Staff(cast.officer, cast.leader),
        "cua_nam": Staff(cast.other_officer, cast.other_commune_leader),
        "ben_thanh": Staff(
            make_staff(tree.ben_thanh, username="bt_officer"),
            make_staff(tree.ben_thanh, Role.LEADER, username="bt_leader"),
        ),
    }


def drive(case: Case, who: Staff, state: str, *, rating: int | None = None) -> Case:
    """Take a submitted case through the real services into ``state``."""
    citizen = CitizenActor(petition_id=case.petition_id)
    if state == "rejected":
        services.case_reject(case_id=case.pk, actor=who.officer, reason="Ngoài phạm vi.")
    elif state == "withdrawn":
        services.case_withdraw(case_id=case.pk, actor=citizen)
    elif state != "submitted":
        services.case_accept(case_id=case.pk, actor=who.officer)
        if state in ("responded", "closed"):
            services.case_submit_response(case_id=case.pk, actor=who.officer, text="Đã xử lý xong.")
            services.case_approve(case_id=case.pk, actor=who.leader)
        if state == "closed":
            assert rating is not None
            services.case_citizen_feedback(case_id=case.pk, actor=citizen, resolved=True, rating=rating)
    result = Case.objects.get(pk=case.pk)
    assert result.state == state
    return result


def set_times(
    case: Case,
    *,
    submitted: dt.datetime,
    responded: dt.datetime | None = None,
    due: dt.datetime | None = None,
) -> None:
    """Pin the milestones the statistics read (transitions stamp the real clock)."""
    fields: dict[str, Any] = {"submitted_at": submitted}
    if responded is not None:
        fields["responded_at"] = responded
    if due is not None:
        fields["resolution_due_at"] = due
    Case.objects.filter(pk=case.pk).update(**fields)


@pytest.fixture
def transport(db: Any) -> Category:
    return Category.objects.get(code="transport")


@pytest.fixture
def dataset(submit: Any, tree: Tree, staff: dict[str, Staff], transport: Category) -> dict[str, Case]:
    """Six petitions submitted at T, with numbers worked out by hand.

    ===  ==========  ===========  =========  =========  ==========  ======  =======
    id   commune     category     state      responded  deadline    rating  consent
    ===  ==========  ===========  =========  =========  ==========  ======  =======
    A    Hoàn Kiếm   environment  closed     T+2d       T+10d  on   5       yes
    B    Hoàn Kiếm   transport    responded  T+4d       T+3d   late —       no
    C    Bến Thành   environment  closed     T+9d       T+9d   on   2       yes
    D    Bến Thành   environment  rejected   —          —       —       yes
    E    Cửa Nam     transport    in_prog.   —          —       —       yes
    F    Hoàn Kiếm   environment  withdrawn  —          —       —       yes
    ===  ==========  ===========  =========  =========  ==========  ======  =======

    All: received 6, answered 3, on time 2 (0.667), durations 2, 4, 9 → median 4.0,
    ratings 5, 2 → 3.5.
    """

    def new(label: str, commune: Unit, **extra: Any) -> Case:
        petition = submit(commune=commune, title=f"Phản ánh {label}", now=T, **extra).petition
        return petition.case

    cases = {
        "A": new("A", tree.hoan_kiem, consent_publish=True),
        "B": new("B", tree.hoan_kiem, category=transport, consent_publish=False),
        "C": new("C", tree.ben_thanh, consent_publish=True),
        "D": new("D", tree.ben_thanh, consent_publish=True),
        "E": new("E", tree.cua_nam, category=transport, consent_publish=True),
        "F": new("F", tree.hoan_kiem, consent_publish=True),
    }
    drive(cases["A"], staff["hoan_kiem"], "closed", rating=5)
    drive(cases["B"], staff["hoan_kiem"], "responded")
    drive(cases["C"], staff["ben_thanh"], "closed", rating=2)
    drive(cases["D"], staff["ben_thanh"], "rejected")
    drive(cases["E"], staff["cua_nam"], "in_progress")
    drive(cases["F"], staff["hoan_kiem"], "withdrawn")
    set_times(cases["A"], submitted=T, responded=T + 2 * DAY, due=T + 10 * DAY)
    set_times(cases["B"], submitted=T, responded=T + 4 * DAY, due=T + 3 * DAY)
    set_times(cases["C"], submitted=T, responded=T + 9 * DAY, due=T + 9 * DAY)
    for label in "DEF":
        set_times(cases[label], submitted=T)
    return {label: Case.objects.get(pk=case.pk) for label, case in cases.items()}


# --- the summary ----------------------------------------------------------------------


def test_summary_counts_received_answered_on_time_median_and_satisfaction(dataset):
    assert summary(since=T - DAY) == Summary(
        received=6,
        answered=3,
        on_time=2,
        rated=2,
        on_time_rate=0.667,
        median_response_days=4.0,
        satisfaction=3.5,
    )


def test_closed_without_a_response_is_received_but_not_answered(dataset):
    assert dataset["D"].state == CaseState.REJECTED and dataset["D"].closed_at is not None
    assert dataset["F"].state == CaseState.WITHDRAWN and dataset["F"].closed_at is not None
    assert dataset["D"].responded_at is None and dataset["F"].responded_at is None
    # A and C are closed too (citizen satisfied) and do count as answered.
    assert dataset["A"].state == dataset["C"].state == CaseState.CLOSED
    assert summary(since=T - DAY).answered == 3


def test_a_response_exactly_at_the_deadline_is_on_time(dataset):
    only_c = Case.objects.filter(pk=dataset["C"].pk).values_list("responded_at", "resolution_due_at").get()
    assert only_c[0] == only_c[1]
    Case.objects.exclude(pk=dataset["C"].pk).update(submitted_at=T - 30 * DAY)
    result = summary(since=T - DAY)
    assert (result.received, result.answered, result.on_time, result.on_time_rate) == (1, 1, 1, 1.0)


def test_median_of_an_even_number_of_durations_is_the_mean_of_the_middle_two(dataset):
    Case.objects.filter(pk=dataset["B"].pk).update(responded_at=T + 5 * DAY)  # durations 2, 5, 9
    assert summary(since=T - DAY).median_response_days == 5.0
    Case.objects.filter(pk=dataset["C"].pk).update(responded_at=None)  # durations 2, 5
    assert summary(since=T - DAY).median_response_days == 3.5


def test_median_is_rounded_to_one_decimal(dataset):
    Case.objects.filter(pk=dataset["B"].pk).update(responded_at=T + dt.timedelta(days=4, hours=7))
    assert summary(since=T - DAY).median_response_days == 4.3  # 4 days 7 hours = 4.29 days


def test_until_is_exclusive_and_since_inclusive(dataset):
    Case.objects.filter(pk=dataset["E"].pk).update(submitted_at=T + dt.timedelta(hours=1))
    assert summary(since=T, until=T + dt.timedelta(hours=1)).received == 5
    assert summary(since=T + dt.timedelta(hours=1)).received == 1
    assert summary(since=T + dt.timedelta(seconds=1), until=T + dt.timedelta(hours=1)) == EMPTY


def test_reopened_case_is_not_answered_but_its_rating_counts(case, cast):
    drive(case, Staff(cast.officer, cast.leader), "responded")
    services.case_citizen_feedback(
        case_id=case.pk,
        actor=CitizenActor(petition_id=case.petition_id),
        resolved=False,
        rating=1,
        comment="Chưa giải quyết được.",
    )
    result = summary(since=case.submitted_at)
    assert (result.received, result.answered, result.on_time_rate, result.median_response_days) == (
        1,
        0,
        None,
        None,
    )
    assert (result.rated, result.satisfaction) == (1, 1.0)


def test_response_withdrawn_afterwards_still_counts_as_answered(case, cast):
    drive(case, Staff(cast.officer, cast.leader), "responded")
    # Withdrawn after its response: no longer possible, but petitions withdrawn so before the rule
    # changed are in the data.
    Case.objects.filter(pk=case.pk).update(state=CaseState.WITHDRAWN, closed_at=timezone.now())
    set_times(case, submitted=T, responded=T + 3 * DAY, due=T + 10 * DAY)
    result = summary(since=T)
    assert (result.received, result.answered, result.on_time, result.median_response_days) == (1, 1, 1, 3.0)


def test_no_petitions_gives_zeros_and_none(db):
    assert summary(since=T) == EMPTY
    assert breakdown(since=T, by="province") == []
    assert breakdown(since=T, by="category") == []
    assert list(published_responses()) == []


def test_petitions_without_answers_give_no_rates(submit):
    submit(now=T)
    assert summary(since=T) == Summary(
        received=1,
        answered=0,
        on_time=0,
        rated=0,
        on_time_rate=None,
        median_response_days=None,
        satisfaction=None,
    )


# --- breakdowns -----------------------------------------------------------------------


def test_breakdown_by_province(dataset, tree):
    assert breakdown(since=T - DAY, by="province") == [
        # A, B, E, F: durations 2, 4; A on time; only A rated.
        Row(
            key=tree.hanoi.pk,
            code="P01",
            name="Thành phố Hà Nội",
            received=4,
            answered=2,
            on_time=1,
            rated=1,
            on_time_rate=0.5,
            median_response_days=3.0,
            satisfaction=5.0,
        ),
        # C, D: C answered in 9 days, on time, rated 2.
        Row(
            key=tree.hcm.pk,
            code="P79",
            name="Thành phố Hồ Chí Minh",
            received=2,
            answered=1,
            on_time=1,
            rated=1,
            on_time_rate=1.0,
            median_response_days=9.0,
            satisfaction=2.0,
        ),
    ]


def test_breakdown_by_category_in_vietnamese(dataset, category, transport):
    with translation.override("vi"):
        rows = breakdown(since=T - DAY, by="category")
    assert rows == [
        # A, C, D, F: durations 2, 9; both on time; ratings 5, 2.
        Row(
            key=category.pk,
            code="environment",
            name="Môi trường, vệ sinh",
            received=4,
            answered=2,
            on_time=2,
            rated=2,
            on_time_rate=1.0,
            median_response_days=5.5,
            satisfaction=3.5,
        ),
        # B, E: B answered late in 4 days, unrated.
        Row(
            key=transport.pk,
            code="transport",
            name="Giao thông, hạ tầng",
            received=2,
            answered=1,
            on_time=0,
            rated=0,
            on_time_rate=0.0,
            median_response_days=4.0,
            satisfaction=None,
        ),
    ]


def test_breakdown_by_category_in_english(dataset):
    with translation.override("en"):
        rows = breakdown(since=T - DAY, by="category")
    assert [(row.code, row.name, row.received) for row in rows] == [
        ("environment", "Environment and sanitation", 4),
        ("transport", "Transport and infrastructure", 2),
    ]


def test_breakdown_rows_add_up_to_the_summary(dataset):
    total = summary(since=T - DAY)
    for by in ("province", "category"):
        rows = breakdown(since=T - DAY, by=by)
        assert sum(row.received for row in rows) == total.received
        assert sum(row.answered for row in rows) == total.answered
        assert sum(row.on_time for row in rows) == total.on_time


def test_breakdown_leaves_out_groups_without_petitions(dataset):
    Case.objects.filter(pk__in=[dataset["C"].pk, dataset["D"].pk]).update(submitted_at=T - 60 * DAY)
    assert [row.code for row in breakdown(since=T - DAY, by="province")] == ["P01"]
    # Eight seeded categories have no petitions at all. Two each here: "Giao thông" before "Môi trường".
    with translation.override("vi"):
        assert [row.code for row in breakdown(since=T - DAY, by="category")] == ["transport", "environment"]


def test_breakdown_orders_ties_by_name(submit, tree):
    submit(commune=tree.ben_thanh, now=T)
    submit(commune=tree.hoan_kiem, now=T)
    assert [row.name for row in breakdown(since=T, by="province")] == [
        "Thành phố Hà Nội",
        "Thành phố Hồ Chí Minh",
    ]


def test_breakdown_refuses_an_unknown_grouping(db):
    with pytest.raises(ValueError, match="province"):
        public_breakdown(since=T, by="commune")  # type: ignore[arg-type]


# --- windows --------------------------------------------------------------------------


def test_windows_start_at_local_midnight():
    now = dt.datetime(2025, 7, 14, 20, 0, tzinfo=dt.UTC)  # 15 July, 03:00 in Hà Nội
    assert last_30_days(now) == dt.datetime(2025, 6, 15, tzinfo=HCMC)
    assert last_12_months(now) == dt.datetime(2024, 7, 15, tzinfo=HCMC)
    # The same all day long, so the cache key is too.
    assert last_30_days(now + dt.timedelta(hours=20)) == last_30_days(now)


def test_twelve_months_before_29_february_starts_on_28_february():
    assert last_12_months(dt.datetime(2024, 2, 29, 12, tzinfo=HCMC)) == dt.datetime(2023, 2, 28, tzinfo=HCMC)


def test_petition_older_than_30_days_counts_only_in_the_12_month_window(submit):
    now = dt.datetime(2025, 7, 15, 10, 0, tzinfo=HCMC)
    recent = submit(now=now - 5 * DAY).petition.case
    older = submit(now=now - 40 * DAY).petition.case
    ancient = submit(now=now - 400 * DAY).petition.case
    set_times(recent, submitted=now - 5 * DAY, responded=now - 4 * DAY, due=now)
    set_times(older, submitted=now - 40 * DAY, responded=now - 37 * DAY, due=now - 30 * DAY)
    set_times(ancient, submitted=now - 400 * DAY, responded=now - 399 * DAY, due=now - 390 * DAY)

    month = summary(since=last_30_days(now))
    year = summary(since=last_12_months(now))

    assert (month.received, month.answered, month.median_response_days) == (1, 1, 1.0)
    assert (year.received, year.answered, year.median_response_days) == (2, 2, 2.0)


# --- query counts ---------------------------------------------------------------------


def _populate(submit: Any, tree: Tree, count: int) -> None:
    """``count`` petitions over two provinces and two categories; three in four answered and rated."""
    communes = [tree.hoan_kiem, tree.cua_nam, tree.ben_thanh]
    for index in range(count):
        case = submit(
            commune=communes[index % 3],
            category="transport" if index % 2 else "environment",
            consent_publish=True,
            now=T,
        ).petition.case
        if index % 4:
            Case.objects.filter(pk=case.pk).update(
                state=CaseState.RESPONDED,
                responded_at=T + (index % 7 + 1) * DAY,
                resolution_due_at=T + 5 * DAY,
                response_text="Đã xử lý.",
                rating=index % 5 + 1,
            )


def _queries(call: Any) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def _render(cases: Any) -> list[tuple[Any, ...]]:
    return [
        (
            case.petition.tracking_code,
            case.petition.title,
            case.petition.text,
            case.petition.category.display_name,
            case.petition.province.name,
            case.petition.commune.name,
            case.response_text,
            case.responded_at,
            case.rating,
            case.get_state_display(),
        )
        for case in cases
    ]


CALLS = {
    "summary": lambda: public_summary(since=T),
    "by province": lambda: public_breakdown(since=T, by="province"),
    "by category": lambda: public_breakdown(since=T, by="category"),
    "published page": lambda: _render(published_responses()),
}


def test_query_count_does_not_grow_with_the_data(submit, tree):
    _populate(submit, tree, 5)
    small = {name: _queries(call) for name, call in CALLS.items()}
    _populate(submit, tree, 25)
    assert Case.objects.count() == 30
    large = {name: _queries(call) for name, call in CALLS.items()}

    assert (
        small
        == large
        == {
            "summary": STATS_QUERIES,
            "by province": STATS_QUERIES,
            "by category": STATS_QUERIES,
            "published page": 1,
        }
    )
    assert len(_render(published_responses())) == 20


def test_summary_and_breakdown_cost_the_documented_queries(dataset, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(STATS_QUERIES):
        public_summary(since=T - DAY)
    with django_assert_num_queries(STATS_QUERIES):
        public_breakdown(since=T - DAY, by="province")
    with django_assert_num_queries(STATS_QUERIES):
        public_breakdown(since=T - DAY, by="category")


@pytest.mark.skipif(not ON_PG, reason="percentile_cont is PostgreSQL's")
def test_postgres_takes_the_median_in_the_database(dataset):
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        public_summary(since=T - DAY)
    (query,) = context.captured_queries
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in query["sql"]


# --- cache ----------------------------------------------------------------------------


def test_cached_calls_cost_no_queries(dataset, django_assert_num_queries):
    first = public_summary(since=T - DAY)
    by_province = public_breakdown(since=T - DAY, by="province")
    by_category = public_breakdown(since=T - DAY, by="category")
    with django_assert_num_queries(0):
        assert public_summary(since=T - DAY) == first
        assert public_breakdown(since=T - DAY, by="province") == by_province
        assert public_breakdown(since=T - DAY, by="category") == by_category


def test_cache_serves_the_same_numbers_until_it_expires(dataset):
    before = public_summary(since=T - DAY)
    Case.objects.filter(pk=dataset["E"].pk).update(submitted_at=T - 60 * DAY)
    assert public_summary(since=T - DAY) == before
    cache.clear()
    assert public_summary(since=T - DAY).received == before.received - 1


def test_cache_key_holds_every_argument(dataset):
    assert public_summary(since=T - DAY).received == 6
    assert public_summary(since=T - DAY, until=T).received == 0
    assert public_summary(since=T + DAY).received == 0
    assert public_breakdown(since=T - DAY, by="province") != public_breakdown(since=T - DAY, by="category")


def test_the_same_instant_in_another_time_zone_hits_the_same_entry(dataset, django_assert_num_queries):
    public_summary(since=T - DAY)
    with django_assert_num_queries(0):
        public_summary(since=(T - DAY).astimezone(dt.UTC))


def test_until_now_means_up_to_now_and_hits_the_cache(dataset, django_assert_num_queries):
    first = public_summary(since=T - DAY, until=timezone.now())
    by_province = public_breakdown(since=T - DAY, until=timezone.now(), by="province")
    assert first.received == 6
    with django_assert_num_queries(0):
        assert public_summary(since=T - DAY, until=timezone.now()) == first
        assert public_summary(since=T - DAY) == first
        assert public_breakdown(since=T - DAY, until=timezone.now(), by="province") == by_province


def test_names_follow_the_language(dataset):
    with translation.override("en"):
        english = public_breakdown(since=T - DAY, by="category")
    with translation.override("vi"):
        vietnamese = public_breakdown(since=T - DAY, by="category")
    assert english[0].name == "Environment and sanitation"
    assert vietnamese[0].name == "Môi trường, vệ sinh"


def test_both_languages_are_served_the_same_cached_numbers(dataset, django_assert_num_queries):
    """The numbers are cached once; only the names are chosen in the page's language."""
    with translation.override("vi"):
        summary = public_summary(since=T - DAY)
        by_province = public_breakdown(since=T - DAY, by="province")
        by_category = public_breakdown(since=T - DAY, by="category")
    # A petition leaves the window between the Vietnamese and the English page.
    Case.objects.filter(pk=dataset["E"].pk).update(submitted_at=T - 60 * DAY)
    with translation.override("en"), django_assert_num_queries(0):
        assert public_summary(since=T - DAY) == summary
        assert public_breakdown(since=T - DAY, by="province") == by_province
        english = public_breakdown(since=T - DAY, by="category")
    assert [(r.key, r.received, r.answered) for r in english] == [
        (r.key, r.received, r.answered) for r in by_category
    ]
    assert english[0].name == "Environment and sanitation" != by_category[0].name


class SpyCache:
    """Stands in for ``petitions.stats.cache``: records timeouts, or fails like a cache server that is down."""

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.timeouts: list[Any] = []

    def get(self, key: str, default: Any = None) -> Any:
        if self.broken:
            raise ConnectionError("cache down")
        return cache.get(key, default)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        if self.broken:
            raise ConnectionError("cache down")
        self.timeouts.append(timeout)
        cache.set(key, value, timeout)


def test_results_are_cached_for_five_minutes(db, monkeypatch):
    spy = SpyCache()
    monkeypatch.setattr(stats, "cache", spy)
    public_summary(since=T)
    public_breakdown(since=T, by="province")
    assert spy.timeouts == [300, 300]


def test_a_broken_cache_still_gives_the_numbers(dataset, monkeypatch):
    monkeypatch.setattr(stats, "cache", SpyCache(broken=True))
    assert public_summary(since=T - DAY).received == 6
    assert public_breakdown(since=T - DAY, by="province")[0].received == 4


# --- published responses --------------------------------------------------------------


def test_published_responses_are_answered_consenting_cases_newest_first(dataset):
    # A and C consent and are answered; B does not consent; D, E, F have no response.
    assert [case.pk for case in published_responses()] == [dataset["C"].pk, dataset["A"].pk]


def test_published_responses_leave_out_withdrawn_and_reopened_cases(submit, cast):
    who = Staff(cast.officer, cast.leader)
    withdrawn = submit(consent_publish=True).petition.case
    reopened = submit(consent_publish=True).petition.case
    shown = submit(consent_publish=True).petition.case
    for each in (withdrawn, reopened, shown):
        drive(each, who, "responded")
    # Withdrawn after its response (no longer possible, but such petitions are in the data).
    Case.objects.filter(pk=withdrawn.pk).update(state=CaseState.WITHDRAWN, closed_at=timezone.now())
    services.case_citizen_feedback(
        case_id=reopened.pk,
        actor=CitizenActor(petition_id=reopened.petition_id),
        resolved=False,
        rating=2,
        comment="Chưa ổn.",
    )
    assert [each.pk for each in published_responses()] == [shown.pk]


def test_published_responses_filter_by_category_and_province(dataset, category, transport, tree):
    assert [c.pk for c in published_responses(category=category)] == [dataset["C"].pk, dataset["A"].pk]
    assert list(published_responses(category=transport)) == []
    assert [c.pk for c in published_responses(province=tree.hanoi)] == [dataset["A"].pk]
    assert [c.pk for c in published_responses(province=tree.hcm.pk)] == [dataset["C"].pk]
    assert [c.pk for c in published_responses(limit=1)] == [dataset["C"].pk]


def test_published_responses_do_not_load_personal_fields(dataset, django_assert_num_queries):
    with django_assert_num_queries(1):
        cases = list(published_responses())
        rendered = _render(cases)
    assert rendered[0][0] == dataset["C"].petition.tracking_code
    assert rendered[0][6] == "Đã xử lý xong."
    petition = cases[0].petition
    deferred = petition.get_deferred_fields()
    for personal in ("submitter_name", "phone", "email", "address", "latitude", "longitude", "token_hash"):
        assert personal in deferred
    assert {"citizen_comment", "assignee_id", "response_drafted_by_id"} <= cases[0].get_deferred_fields()
    # Touching a personal field costs a query of its own: it was never loaded.
    with django_assert_num_queries(1):
        assert petition.phone == "+84912345678"


def test_published_responses_show_category_names_in_the_active_language(dataset):
    (first, *_) = published_responses()
    with translation.override("en"):
        assert first.petition.category.display_name == "Environment and sanitation"
    with translation.override("vi"):
        assert first.petition.category.display_name == "Môi trường, vệ sinh"
