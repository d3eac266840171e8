"""Public-opinion monitoring for leaders: what people raise, where, how fast it grows and is answered.

``MonitorQuery`` → ``Monitoring``, computed by the configured backend
(``search.get_backend().monitor``): Elasticsearch aggregations in production,
``monitor_database`` here in the embedded default. Always within the leader's
jurisdiction (a unit path prefix), applied in the query.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class Candidate:
    """A topic word with how many petitions of this period and of the one before carry it."""

    term: str
    now: int
    before: int


def rank_rising(
    candidates: Iterable[Candidate],
    together: Callable[[str, str], int],
    *,
    total_now: int,
    total_before: int,
    limit: int = 10,
    minimum: int = 2,
) -> list[tuple[str, int, int]]:
    """The words whose share of petitions grew against the period before, surest growth first.

    A word rises when more of this period's petitions carry it than the period before's share
    predicts (``total_now``, ``total_before``: the petitions of each period), so a storm that
    doubles every petition does not make every word rise; with no petitions before, every word
    of at least ``minimum`` petitions is new. Growth is weighed by how sure it is, as a Poisson
    z-score of the count against the predicted count. Several words carried by the same few
    petitions (``together(a, b)``: how many of this period's carry both) are one topic, and the
    best of them speaks for it. Both backends rank with this, so they agree; it is also what the
    engine's ``significant_terms`` (JLH) keeps: words whose share grew (with nothing before, the
    engine's plain ``terms`` of the period stand in for it).
    """
    if total_now <= 0:
        return []

    def expected(c: Candidate) -> float:
        return c.before * total_now / total_before if total_before > 0 else 0.0

    scored = sorted(
        (c for c in candidates if c.now >= minimum and c.now > expected(c)),
        key=lambda c: (-(c.now - expected(c)) / math.sqrt(expected(c) + 1), -c.now, c.term),
    )
    topics: list[Candidate] = []
    for candidate in scored:
        if any(_one_voice(candidate, taken, together(candidate.term, taken.term)) for taken in topics):
            continue
        topics.append(candidate)
        if len(topics) == limit:
            break
    return [(c.term, c.now, c.before) for c in topics]


def _one_voice(a: Candidate, b: Candidate, both: int) -> bool:
    return both >= 0.8 * (a.now + b.now - both)


def title_topics(title: str) -> frozenset[str]:
    """The words of a title that may name a topic: segmented words of two syllables or more.

    Single syllables (``đường``, ``ngày``) are too general to be a topic of their own, and so are
    words with a syllable of ``STOPWORDS``, petitions' boilerplate (``người dân``, ``đề nghị``).
    Titles typed without tone marks are not segmented into words and so give none.
    """
    return _title_topics(nfc(title))


@functools.lru_cache(maxsize=50_000)
def _title_topics(title: str) -> frozenset[str]:
    # The monitoring page reads the same titles again and again: segment each once per process.
    from search.segment import topic_words

    return frozenset(
        word for word in topic_words(title) if " " in word and not STOPWORDS.intersection(word.split())
    )


def rising_topics(
    recent_titles: list[str], previous_titles: list[str], *, limit: int = 10, minimum: int = 2
) -> list[tuple[str, int, int]]:
    """The database backend's rising topics: the titles' topic words, counted per petition, ranked."""
    carriers: dict[str, set[int]] = defaultdict(set)
    for index, title in enumerate(recent_titles):
        for term in title_topics(title):
            carriers[term].add(index)
    before: Counter[str] = Counter(term for title in previous_titles for term in title_topics(title))
    candidates = [Candidate(term, len(titles), before[term]) for term, titles in carriers.items()]
    return rank_rising(
        candidates,
        lambda a, b: len(carriers[a] & carriers[b]),
        total_now=len(recent_titles),
        total_before=len(previous_titles),
        limit=limit,
        minimum=minimum,
    )


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
