"""Monitoring numbers (database implementation) against the hand-computed week of tests/conftest.py."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from routing.models import Case
from search.base import Scope
from search.monitoring import (
    Candidate,
    Monitoring,
    MonitorQuery,
    as_chart,
    as_place_chart,
    monitor_database,
    rank_rising,
    rising_topics,
    title_topics,
)

H = 3600.0
WEEK = {"since": dt.date(2026, 11, 2), "until": dt.date(2026, 11, 8)}


def test_volume_per_day_and_topic_counts_every_day_of_the_period(week, tree, category):
    result = monitor_database(
        MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), places="commune", **WEEK)
    )
    assert len(result.volume_by_category) == 7  # quiet days too
    per_day = {day.day: counts.get(category.pk, 0) for day, counts in result.volume_by_category.items()}
    assert per_day == {2: 2, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0, 8: 0}  # A B | C | F | E


def test_volume_by_place_and_jurisdiction(week, tree):
    province = monitor_database(
        MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), places="commune", **WEEK)
    )
    # Places are where petitions are about (all at Hoàn Kiếm in the fixture), inside Hà Nội's subtree only.
    assert province.volume_by_place == {"W00070": 5}
    per_day = {day.day: n for day, n in province.volume_by_place_per_day["W00070"].items()}
    assert per_day == {2: 2, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0, 8: 0}
    national = monitor_database(MonitorQuery(scope=Scope(path_prefix="/"), **WEEK))
    assert national.volume_by_place == {"P01": 6}  # G is handled in HCM but about Hoàn Kiếm
    assert list(national.volume_by_place_per_day) == ["P01"]
    nobody = monitor_database(MonitorQuery(scope=Scope(), **WEEK))
    assert nobody.volume_by_place == {} and nobody.rising == []


def test_response_times_by_level(week, tree):
    result = monitor_database(MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), **WEEK))
    responded, p50, p90 = result.response_by_level["commune"]
    assert responded == 3 and p50 == pytest.approx(96 * H) and p90 == pytest.approx(134.4 * H)
    assert result.response_by_level["province"] == (0, None, None)


def test_satisfaction_by_topic(week, tree, category):
    Case.objects.filter(pk__in=[week["A"].pk, week["D"].pk]).update(rating=4)
    Case.objects.filter(pk=week["B"].pk).update(rating=1)
    result = monitor_database(MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), **WEEK))
    rated, average = result.satisfaction[category.pk]
    assert rated == 3 and average == pytest.approx(3.0)


def test_rising_topics_are_segmented_words_growing_against_the_period_before():
    rising = rising_topics(
        ["Ngập lụt đường Láng", "Đường bị ngập lụt", "Ngập lụt sau mưa", "Rác thải ùn ứ"],
        ["Rác thải ùn ứ", "Rác thải chưa thu gom"],
    )
    assert rising[0] == ("ngập lụt", 3, 0)
    assert all(term != "rác thải" for term, _now, _before in rising)  # 1 now vs 2 before: falling
    # Boilerplate and function words name no topic.
    assert rising_topics(["Đề nghị của người dân", "Kiến nghị của người dân"] * 2, ["Rác thải"]) == []


def test_titles_are_cut_into_words_not_pairs_across_word_boundaries():
    titles = (
        ["Nhà ở xuống cấp nguy hiểm sau mưa lớn"] * 3
        + ["Ổ gà nguy hiểm trên đường Trần Phú"] * 2
        + ["Chung cư xuống cấp"] * 2
        + ["Mưa lớn gây ngập"] * 2
    )
    terms = [term for term, _now, _before in rising_topics(titles, ["Đèn đường hỏng"])]
    assert {"xuống cấp", "nguy hiểm"} <= set(terms)
    assert not {"cấp nguy", "hiểm sau", "sau mưa"} & set(terms)
    assert rising_topics(["Đề nghị lắp nhà chờ xe buýt"] * 2, ["Đèn đường hỏng"])[0][1:] == (2, 0)
    new = rising_topics(titles, [])  # nothing before: every word is new
    assert new[:2] == [("nguy hiểm", 5, 0), ("xuống cấp", 5, 0)]  # equally sure: alphabetical


def test_title_topics_are_words_of_two_syllables_or_more_without_boilerplate():
    assert title_topics("Cống thoát nước tắc nghẽn bốc mùi") == {"thoát nước", "tắc nghẽn", "bốc mùi"}
    assert title_topics("Người dân đề nghị sửa đường") == set()
    nfd = unicodedata.normalize("NFD", "Ngập lụt sau mưa lớn")
    assert title_topics(nfd) == title_topics("Ngập lụt sau mưa lớn") == {"ngập lụt"}


def test_the_words_of_one_repeated_title_are_one_topic_and_surer_growth_ranks_first():
    recent = ["Hướng dẫn thủ tục sau sắp xếp đơn vị hành chính chưa rõ"] * 2
    recent += ["Phòng khám hoạt động không phép"] * 8
    previous = ["Phòng khám hoạt động không phép", "Đèn đường hỏng", "Rác thải ùn ứ", "Cống tắc"]
    rising = rising_topics(recent, previous)
    # 8 against the 2.5 that the share before predicts is surer than 2 against 0.
    assert rising[0][0] in {"phòng khám", "hoạt động"} and rising[0][1:] == (8, 1)
    assert len(rising) == 2  # one word per group of titles


def test_a_word_rises_when_its_share_of_petitions_grows_not_its_count():
    candidates = [Candidate("ngập lụt", 5, 1), Candidate("rác thải", 2, 2), Candidate("đèn đường", 1, 0)]
    assert rank_rising(candidates, lambda a, b: 0, total_now=10, total_before=10) == [("ngập lụt", 5, 1)]
    # Twice as many petitions as before (a storm): 4 against 2 is the same share, not a rise.
    doubled = [Candidate("ngập lụt", 12, 1), Candidate("rác thải", 4, 2)]
    assert rank_rising(doubled, lambda a, b: 0, total_now=20, total_before=10) == [("ngập lụt", 12, 1)]


def test_long_periods_are_charted_per_week_with_the_same_totals():
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(120)]
    monitoring = Monitoring(volume_by_category={day: {1: 1, 2: day.day % 2} for day in days})
    monitoring.volume_by_place_per_day = {"P01": dict.fromkeys(days, 1)}
    chart = as_chart(monitoring, {1: "Môi trường", 2: "Giao thông"})
    assert chart["labels"][:2] == ["01/01", "05/01"]  # Thursday 1 January, then from Monday 5
    assert len(chart["labels"]) == 18
    assert [sum(series["data"]) for series in chart["series"]] == [120, sum(d.day % 2 for d in days)]
    places = as_place_chart(monitoring, {"P01": "Hà Nội"}, other_label="Khác")
    assert places["labels"] == chart["labels"]
    assert sum(places["series"][0]["data"]) == 120 and places["series"][1]["label"] == "Khác"
    short = as_chart(Monitoring(volume_by_category={day: {1: 1} for day in days[:92]}), {1: "Môi trường"})
    assert len(short["labels"]) == 92
