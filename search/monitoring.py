"""Public-opinion monitoring for leaders: what people raise, where, how fast it grows and is answered.

``MonitorQuery`` → ``Monitoring``, computed by the configured backend
(``search.get_backend().monitor``): Elasticsearch aggregations in production,
``monitor_database`` here in the embedded default. Always within the leader's
jurisdiction (a unit path prefix), applied in the query.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate

from routing.models import Level
from search.base import Scope
from search.documents import fold, nfc

#: Words too common in petitions to be a topic, as spelled (``cho`` is a function word, ``chờ`` is not).
STOPWORD_TEXT = (
    "của và các cho tại trên dưới trong ngoài với không có một những này khi đến từ theo được nhiều "
    "rất đã đang sẽ bị làm người dân xin đề nghị phản ánh kiến việc về ở là thì mà nên cũng hay tôi "
    "gây cần chưa lắp thêm quá sau trước giữa gần"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split())
#: The same, typed without tone marks.
FOLDED_STOPWORDS = frozenset(fold(word) for word in STOPWORDS)
#: Common words of petitions. Cutting a title into two-syllable terms, these come first, so that
#: ``cống thoát nước tắc nghẽn bốc mùi`` gives ``thoát nước``, ``tắc nghẽn``, ``bốc mùi`` even when
#: every pair of it is equally frequent (elsewhere the pairs seen in most titles win).
LEXICON_WORDS = (
    "ngập lụt, ngập úng, thoát nước, tắc nghẽn, bốc mùi, rác thải, ô nhiễm, tiếng ồn, khói bụi, chất thải, "
    "nước thải, nước máy, nước sạch, cấp nước, mất nước, cây xanh, chiếu sáng, công cộng, đèn đường, "
    "vỉa hè, lòng đường, lấn chiếm, ổ gà, hố ga, giao thông, tín hiệu, giảm tốc, nhà chờ, xe buýt, xe tải, "
    "xe máy, đua xe, an toàn, nguy hiểm, xuống cấp, sụt lún, sạt lở, mưa lớn, mưa bão, bão lũ, thi công, "
    "xây dựng, sai phép, trật tự, đô thị, quy hoạch, giải phóng, mặt bằng, bồi thường, định cư, đất đai, "
    "chứng nhận, sử dụng, đăng ký, kinh doanh, căn cước, cư trú, tạm trú, khai sinh, khai tử, kết hôn, "
    "hồ sơ, thủ tục, hành chính, trực tuyến, bộ phận, tiếp nhận, xác nhận, chứng thực, lệ phí, học phí, "
    "trợ cấp, bảo hiểm, y tế, cao tuổi, thất nghiệp, hộ nghèo, cận nghèo, thương binh, xã hội, trẻ em, "
    "học sinh, giáo viên, trường học, mầm non, bán trú, lạm thu, dạy thêm, bắt nạt, khuyết tật, sức khỏe, "
    "bệnh viện, tiêm chủng, vắc xin, xuất huyết, ngộ độc, thực phẩm, vệ sinh, an ninh, trộm cắp, mất trộm, "
    "tụ tập, ban đêm, phòng cháy, chữa cháy, cháy nổ, văn hóa, tham nhũng, nhũng nhiễu, thái độ, cán bộ, "
    "công chức, hỗ trợ, khẩn cấp, điện lực, mất điện, nghĩa trang, chăn nuôi, thủy lợi, kênh mương, "
    "tranh chấp, khiếu nại, tố cáo, cho vay, nặng lãi, đòi nợ, hàng rong, du khách, phát thanh, ùn ứ, "
    "thu gom, tập kết, giữ xe, bên cạnh, điểm dừng, nứt tường, tư thục, trông trẻ, sắp xếp, đơn vị, hướng dẫn, nhà ở, nhà trọ, cổng trường, phòng học, phòng khám, nhà thuốc, hoạt động"
)
LEXICON = {fold(word.strip()) for word in LEXICON_WORDS.split(",")}
_SYLLABLE = re.compile(r"\w+")
#: How many places get a line of their own in the volume-by-place chart.
CHART_PLACES = 5
#: Longer periods are charted per week (a year of daily points cannot be read).
CHART_DAILY_MAX = 92


@dataclass(frozen=True)
class MonitorQuery:
    scope: Scope
    since: dt.date
    until: dt.date  # inclusive
    #: The places of the volume tiles: provinces (the national view) or communes (a province's).
    places: str = "province"


@dataclass
class Monitoring:
    #: day → {category_id: count}
    volume_by_category: dict[dt.date, dict[int, int]] = field(default_factory=dict)
    #: province or commune code → count (where the petitions are about)
    volume_by_place: dict[str, int] = field(default_factory=dict)
    #: the places with most petitions (at most ``CHART_PLACES``): code → {day: count}, every day
    volume_by_place_per_day: dict[str, dict[dt.date, int]] = field(default_factory=dict)
    #: (topic as spelled, recent count, previous count), fastest growing first
    rising: list[tuple[str, int, int]] = field(default_factory=list)
    #: level → (responded, p50 seconds, p90 seconds)
    response_by_level: dict[str, tuple[int, float | None, float | None]] = field(default_factory=dict)
    #: category id → (rated, average rating)
    satisfaction: dict[int, tuple[int, float | None]] = field(default_factory=dict)


def rising_topics(
    recent_titles: list[str], previous_titles: list[str], *, limit: int = 10, minimum: int = 2
) -> list[tuple[str, int, int]]:
    """Two-syllable topics much more frequent in the recent titles than in the previous period's.

    Vietnamese words are mostly two syllables (``ngập lụt``, ``rác thải``), so topics are pairs
    of neighbouring syllables, folded so that spellings with and without tone marks count
    together, and shown in their most common spelling. Each title is cut into pairs that do not
    overlap, the pairs seen in the most titles of both periods first: in ``xuống cấp nguy hiểm
    sau mưa`` the words ``xuống cấp``, ``nguy hiểm`` and ``sau mưa`` win over the junk across
    their boundaries (``cấp nguy``, ``hiểm sau``). Pairs with a function word (``của``, ``và``…)
    are no topic; a petition repeating a term is one voice.
    """
    recent = [_pairs(title) for title in recent_titles]
    previous = [_pairs(title) for title in previous_titles]
    seen: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for pairs in itertools.chain(recent, previous):
        seen.update({folded for _position, folded, _spelling in pairs})
        for _position, folded, spelling in pairs:
            spellings[folded][spelling] += 1
    now = _segmented(recent, seen)
    before = _segmented(previous, seen)
    scored = [
        (term, len(titles), len(before.get(term, ())))
        for term, titles in now.items()
        if len(titles) >= minimum and len(titles) > len(before.get(term, ()))
    ]
    # Growth weighed by how sure it is: 6 against 1 rises more than 3 against 0.
    scored.sort(
        key=lambda item: ((item[1] - item[2]) / math.sqrt(item[2] + 1), item[1], seen[item[0]], item[0]),
        reverse=True,
    )
    topics: list[tuple[str, int, int]] = []
    voices: list[frozenset[int]] = []
    for term, count, earlier in scored:
        # Several words of the same few titles are one topic: the best of them speaks for it.
        titles = frozenset(now[term])
        if any(len(titles & other) >= 0.8 * len(titles | other) for other in voices):
            continue
        voices.append(titles)
        topics.append((spellings[term].most_common(1)[0][0], count, earlier))
        if len(topics) == limit:
            break
    return topics


def _pairs(title: str) -> list[tuple[int, str, str]]:
    """(position, folded pair, spelled pair) of a title's neighbouring syllables, function words left out."""
    syllables = _SYLLABLE.findall(nfc(title).lower())
    folded = [_fold_syllable(syllable) for syllable in syllables]
    return [
        (i, f"{folded[i]} {folded[i + 1]}", f"{syllables[i]} {syllables[i + 1]}")
        for i in range(len(syllables) - 1)
        if _is_term(syllables[i], folded[i]) and _is_term(syllables[i + 1], folded[i + 1])
    ]


@functools.lru_cache(maxsize=20_000)
def _fold_syllable(syllable: str) -> str:
    # A language has a few thousand syllables: fold each once, not once per title.
    return fold(syllable)


def _is_term(syllable: str, folded: str) -> bool:
    if syllable == folded:  # typed without tone marks: compare without them
        return folded not in FOLDED_STOPWORDS and len(folded) > 1 and not folded.isdigit()
    return syllable not in STOPWORDS


def _segmented(titles: list[list[tuple[int, str, str]]], seen: Counter[str]) -> dict[str, set[int]]:
    """Per title, the non-overlapping pairs taken most common first: term → the titles it is in."""
    found: dict[str, set[int]] = defaultdict(set)
    for index, pairs in enumerate(titles):
        taken: set[int] = set()
        for position, folded, _spelling in sorted(
            pairs, key=lambda p: (p[1] not in LEXICON, -seen[p[1]], p[0])
        ):
            if position in taken or position + 1 in taken:
                continue
            taken.update((position, position + 1))
            found[folded].add(index)
    return found


def monitor_database(query: MonitorQuery) -> Monitoring:
    """The monitoring numbers from the database (the embedded default)."""
    from routing.metrics import day_bounds, percentile
    from search.database import scoped_cases

    start, end = day_bounds(query.since, query.until)
    cases = scoped_cases(query.scope).order_by()
    in_period = cases.filter(submitted_at__gte=start, submitted_at__lt=end)
    result = Monitoring()

    volume: dict[dt.date, dict[int, int]] = defaultdict(dict)
    for row in (
        in_period.annotate(day=TruncDate("submitted_at")).values("day", "category_id").annotate(n=Count("pk"))
    ):
        volume[row["day"]][row["category_id"]] = row["n"]
    day = query.since
    while day <= query.until:  # every day of the period, also the quiet ones
        result.volume_by_category[day] = volume.get(day, {})
        day += dt.timedelta(days=1)

    place = "petition__province__code" if query.places == "province" else "petition__commune__code"
    result.volume_by_place = dict(
        in_period.values_list(place).annotate(n=Count("pk")).values_list(place, "n")
    )
    leading = top_places(result.volume_by_place)
    result.volume_by_place_per_day = {code: dict.fromkeys(result.volume_by_category, 0) for code in leading}
    for code, day, n in (
        in_period.filter(**{f"{place}__in": leading})
        .annotate(day=TruncDate("submitted_at"))
        .values_list(place, "day")
        .annotate(n=Count("pk"))
        .values_list(place, "day", "n")
    ):
        result.volume_by_place_per_day[code][day] = n

    length = end - start
    previous = cases.filter(submitted_at__gte=start - length, submitted_at__lt=start)
    result.rising = rising_topics(
        list(in_period.values_list("petition__title", flat=True)),
        list(previous.values_list("petition__title", flat=True)),
    )

    durations: dict[str, list[float]] = defaultdict(list)
    for level, submitted, responded in cases.filter(
        responded_at__gte=start, responded_at__lt=end
    ).values_list("unit__level", "submitted_at", "responded_at"):
        if responded is not None:
            durations[level].append((responded - submitted).total_seconds())
    for level in (Level.COMMUNE, Level.PROVINCE, Level.CENTRAL):
        values = sorted(durations.get(level, []))
        result.response_by_level[level] = (len(values), percentile(values, 0.5), percentile(values, 0.9))

    for row in (
        cases.filter(rating__isnull=False)
        .filter(Q(closed_at__gte=start, closed_at__lt=end) | Q(responded_at__gte=start, responded_at__lt=end))
        .values("category_id")
        .annotate(n=Count("pk"), average=Avg("rating"))
    ):
        result.satisfaction[row["category_id"]] = (row["n"], row["average"])
    return result


def top_places(volume_by_place: dict[str, int]) -> list[str]:
    """The codes of the places with most petitions, most first (ties by code), at most ``CHART_PLACES``."""
    ranked = sorted(volume_by_place.items(), key=lambda item: (-item[1], item[0]))
    return [code for code, n in ranked[:CHART_PLACES] if n]


def chart_buckets(days: list[dt.date]) -> list[tuple[str, list[dt.date]]]:
    """The chart's points: one per day, or one per week (from its Monday) for periods over 92 days."""
    if len(days) <= CHART_DAILY_MAX:
        return [(day.strftime("%d/%m"), [day]) for day in days]
    weeks: dict[dt.date, list[dt.date]] = {}
    for day in days:
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), []).append(day)
    return [(max(start, week[0]).strftime("%d/%m"), week) for start, week in weeks.items()]


def as_place_chart(
    monitoring: Monitoring, names: dict[str, Any], *, other_label: Any = "…"
) -> dict[str, Any]:
    """The volume-by-place chart's data: one line per leading place, the rest summed as "other"."""
    buckets = chart_buckets(list(monitoring.volume_by_category))
    lines = {
        str(names.get(code, code)): [sum(per_day.get(d, 0) for d in days) for _label, days in buckets]
        for code, per_day in monitoring.volume_by_place_per_day.items()
    }
    totals = [sum(sum(monitoring.volume_by_category[d].values()) for d in days) for _label, days in buckets]
    others = [total - sum(data[i] for data in lines.values()) for i, total in enumerate(totals)]
    series: list[dict[str, Any]] = [{"label": label, "data": data} for label, data in lines.items()]
    if any(others):
        series.append({"label": str(other_label), "data": others})
    return {"labels": [label for label, _days in buckets], "series": series}


def as_chart(
    monitoring: Monitoring, categories: dict[int, Any], *, other_label: Any = "…", top: int = 5
) -> dict[str, Any]:
    """The volume chart's data: one line per top category, the rest summed as "other"."""
    totals: Counter[int] = Counter()
    for per_day in monitoring.volume_by_category.values():
        totals.update(per_day)
    leading = [pk for pk, _n in totals.most_common(top)]
    buckets = chart_buckets(list(monitoring.volume_by_category))

    def count(days: list[dt.date], wanted: Any) -> int:
        return sum(n for d in days for pk, n in monitoring.volume_by_category[d].items() if wanted(pk))

    series = [
        {"label": str(categories.get(pk, pk)), "data": [count(days, pk.__eq__) for _label, days in buckets]}
        for pk in leading
    ]
    if len(totals) > len(leading):
        series.append(
            {
                "label": str(other_label),
                "data": [count(days, lambda pk: pk not in leading) for _label, days in buckets],
            }
        )
    return {"labels": [label for label, _days in buckets], "series": series}


def monitor(query: MonitorQuery) -> Monitoring:
    """The configured backend's numbers (Elasticsearch aggregations, or the database's)."""
    from search import get_backend

    result: Monitoring = get_backend().monitor(query)
    return result
