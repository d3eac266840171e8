"""The weekly synthesis: named topics (not boilerplate), new / rising / steady / falling, and their numbers."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from search.base import Scope
from search.synthesis import Row, SynthesisQuery, synthesis_database, synthesise
from tests.conftest import advance, shape

SINCE = dt.date(2026, 11, 30)  # a Monday
UNTIL = dt.date(2026, 12, 6)
ENVIRONMENT, FLOOD, ROADS, NOISE = 1, 2, 3, 4
_ids = itertools.count(1)


def _row(title: str, category: int, day: dt.date, place: str = "P01", **extra: Any) -> Row:
    n = next(_ids)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, n % 60)))
    return Row(
        case_id=n,
        tracking_code=f"PA-26-{n:06d}",
        title=title,
        category_id=category,
        place=place,
        submitted_at=moment,
        **extra,
    )


def _spread(title: str, category: int, count: int, *, weeks: int = 8, place: str = "P01") -> list[Row]:
    """``count`` petitions over the ``weeks`` weeks before the period."""
    start = SINCE - dt.timedelta(weeks=weeks)
    return [
        _row(title, category, start + dt.timedelta(days=(n * 7 * weeks) // count), place)
        for n in range(count)
    ]


def _period(title: str, category: int, count: int, place: str = "P01", **extra: Any) -> list[Row]:
    return [_row(title, category, SINCE + dt.timedelta(days=n % 7), place, **extra) for n in range(count)]


def _world() -> tuple[list[Row], list[Row]]:
    background = (
        _spread("Rác thải ùn ứ trên phố Hàng Bông", ENVIRONMENT, 16)
        + _spread("Ổ gà lớn trên đường Láng", ROADS, 8)
        + _spread("Tiếng ồn karaoke ban đêm", NOISE, 40)
        # Boilerplate in every category: never a topic.
        + _spread("Xác nhận hoạt động của tổ dân phố", ENVIRONMENT, 8)
        + _spread("Đề nghị xác nhận hoạt động kinh doanh", ROADS, 8)
        + _spread("Xác nhận hoạt động của hội", NOISE, 8)
    )
    period = (
        _period("Rác thải ùn ứ trên phố Hàng Bông", ENVIRONMENT, 2)
        + _period("Ngập lụt sau mưa lớn ở ngõ 12", FLOOD, 4, place="P01")
        + _period("Ngập lụt kéo dài tại khu dân cư", FLOOD, 2, place="P79")
        + _period("Ổ gà lớn trên đường Láng", ROADS, 6)
        + _period("Xác nhận hoạt động của tổ dân phố", ENVIRONMENT, 3)
        + _period("Đề nghị xác nhận hoạt động kinh doanh", ROADS, 3)
        + _period("Xác nhận hoạt động của hội", FLOOD, 3)
    )
    return period, background


def test_topics_are_named_by_specific_words_never_by_boilerplate() -> None:
    period, background = _world()
    result = synthesise(period, background, since=SINCE, until=UNTIL)
    labels = [topic.label for topic in result.topics]
    assert "ngập lụt" in labels and "ổ gà" in labels
    assert not {"xác nhận", "hoạt động"} & set(labels + [w for t in result.topics for w in t.other_words])
    assert result.total == len(period)


def test_each_topic_says_whether_it_is_new_rising_steady_or_falling() -> None:
    period, background = _world()
    result = synthesise(period, background, since=SINCE, until=UNTIL)
    topics = {topic.label: topic for topic in result.topics}
    assert topics["ngập lụt"].status == "new" and topics["ngập lụt"].count == 6
    assert topics["ổ gà"].status == "rising"
    assert (topics["ổ gà"].count, topics["ổ gà"].baseline) == (6, 1.0)  # 8 over 8 weeks: 1 a week
    assert [t.label for t in result.new] == ["ngập lụt"] and [t.label for t in result.rising] == ["ổ gà"]
    # Two a week before, two this week: not news. (Below MIN_COUNT it is not a topic of the period.)
    assert "rác thải" not in topics
    # Karaoke noise (five a week) stopped: falling, though not a topic of the period.
    assert [(t.label, t.other_words) for t in result.falling] == [("ồn karaoke", [])]  # "ban đêm": generic
    assert result.falling[0].count == 0 and result.falling[0].baseline == 5.0


def test_the_places_most_affected_and_the_weekly_series() -> None:
    period, background = _world()
    result = synthesise(period, background, since=SINCE, until=UNTIL)
    flood = next(topic for topic in result.topics if topic.label == "ngập lụt")
    assert flood.places == [("P01", 4), ("P79", 2)]
    assert len(result.weeks) == 9 and result.weeks[-1] == SINCE
    assert flood.weekly == [0] * 8 + [6]
    roads = next(topic for topic in result.topics if topic.label == "ổ gà")
    assert roads.weekly == [1] * 8 + [6]


def test_answered_on_time_satisfaction_and_examples_without_personal_data() -> None:
    due = timezone.make_aware(dt.datetime(2026, 12, 20, 17))
    late = timezone.make_aware(dt.datetime(2026, 12, 21, 9))
    period = (
        _period(
            "Ngập lụt ngõ 12, gọi 0912 345 678",
            FLOOD,
            1,
            responded_at=late,
            resolution_due_at=due.replace(day=19),
            rating=2,
        )
        + _period(
            "Ngập lụt sau mưa lớn",
            FLOOD,
            1,
            responded_at=due,
            resolution_due_at=due,
            rating=4,
            published=True,
        )
        + _period("Ngập lụt kéo dài", FLOOD, 2)
    )
    [flood] = synthesise(period, [], since=SINCE, until=UNTIL).topics
    assert (flood.responded, flood.on_time, flood.on_time_share) == (2, 1, 0.5)
    assert (flood.rated, flood.rating) == (2, 3.0)
    assert len(flood.examples) == 3
    assert flood.examples[0].published and flood.examples[0].title == "Ngập lụt sau mưa lớn"
    assert all("0912" not in example.title for example in flood.examples)


def test_from_the_database_within_the_leaders_scope(submit: Any, cast: Any, tree: Any) -> None:
    now = timezone.now()
    since = timezone.localdate() - dt.timedelta(days=6)
    for n in range(4):
        submit(title=f"Ngập lụt sau mưa lớn ở ngõ {n + 1}")
    other = submit(title="Ngập lụt sau mưa lớn ở Bến Thành", commune=tree.ben_thanh)
    answered = submit(title="Ngập lụt kéo dài ở ngõ 9", consent_publish=True)
    advance(answered.petition.case, "responded", cast)
    for n in range(8):  # one a week before the period
        old = submit(title=f"Ổ gà lớn trên đường Láng số {n}")
        shape(old.petition.case, submitted_at=now - dt.timedelta(days=8 + 7 * n))
    hanoi = synthesis_database(
        SynthesisQuery(
            scope=Scope(path_prefix=tree.hanoi.path),
            since=since,
            until=timezone.localdate(),
            places="commune",
        )
    )
    [flood] = [topic for topic in hanoi.topics if topic.label == "ngập lụt"]
    assert flood.count == 5 and flood.status == "new"  # Bến Thành is another province's
    assert flood.places == [(tree.hoan_kiem.code, 5)]
    assert flood.responded == 1 and flood.examples[0].tracking_code == answered.petition.tracking_code
    assert flood.examples[0].published
    assert other.petition.tracking_code not in {e.tracking_code for e in flood.examples}
    assert sum(flood.weekly) == 5


def test_a_word_joining_a_topic_brings_only_its_petitions_of_that_subject() -> None:
    """A flood that is new stays new when one of its words ("khu phố") is also in other subjects' titles."""
    background = _spread("Mất trộm tài sản ở khu phố 3", NOISE, 16)
    period = (
        _period("Ngập lụt sâu ở khu phố 3", FLOOD, 5)
        + _period("Ngập lụt kéo dài", FLOOD, 2)
        + _period("Mất trộm tài sản ở khu phố 3", NOISE, 1)
    )
    result = synthesise(period, background, since=SINCE, until=UNTIL)
    flood = next(topic for topic in result.topics if topic.label == "ngập lụt")
    assert (flood.count, flood.status, flood.baseline) == (7, "new", 0.0)


def test_places_tied_on_their_count_come_in_the_order_of_their_codes() -> None:
    """As the engine orders them (the database's row order is not an order)."""
    period = (
        _period("Ngập lụt sau mưa lớn", FLOOD, 2, place="P48")
        + _period("Ngập lụt sau mưa lớn", FLOOD, 3, place="P79")
        + _period("Ngập lụt sau mưa lớn", FLOOD, 2, place="P31")
    )
    for rows in (period, period[::-1]):
        [flood] = synthesise(rows, [], since=SINCE, until=UNTIL).topics
        assert flood.places == [("P79", 3), ("P31", 2), ("P48", 2)]
