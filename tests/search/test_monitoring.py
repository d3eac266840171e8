"""Monitoring numbers (database implementation) against the hand-computed week of tests/conftest.py."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from routing.models import Case
from search.base import Scope
from search.monitoring import MonitorQuery, monitor_database, rising_words, title_words

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
    national = monitor_database(MonitorQuery(scope=Scope(path_prefix="/"), **WEEK))
    assert national.volume_by_place == {"P01": 6}  # G is handled in HCM but about Hoàn Kiếm
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


def test_rising_topics_are_two_syllable_terms_growing_against_the_period_before():
    recent = title_words(["Ngập lụt đường Láng", "Ngập lụt phố Huế", "Ngập lụt sau mưa", "Rác thải ùn ứ"])
    previous = title_words(["Rác thải ùn ứ", "Rác thải chưa thu gom"])
    rising = rising_words(recent, previous)
    assert rising[0] == ("ngap lut", 3, 0)
    assert all(term != "rac thai" for term, _now, _before in rising)  # 1 now vs 2 before: falling
    assert title_words(["Đề nghị của người dân"]) == Counter()  # function words make no topic
