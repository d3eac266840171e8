"""Public-opinion monitoring for leaders: what people raise, where, how fast it grows and is answered.

``MonitorQuery`` → ``Monitoring``, computed by the configured backend
(``search.get_backend().monitor``): Elasticsearch aggregations in production,
``monitor_database`` here in the embedded default. Always within the leader's
jurisdiction (a unit path prefix), applied in the query.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate

from routing.models import Level
from search.base import Scope
from search.documents import fold

#: Words too common in petitions to be a topic.
STOPWORDS = set(
    [
        "cua",
        "va",
        "cac",
        "cho",
        "tai",
        "tren",
        "duoi",
        "trong",
        "ngoai",
        "voi",
        "khong",
        "co",
        "mot",
        "nhung",
        "nay",
        "khi",
        "den",
        "tu",
        "theo",
        "duoc",
        "nhieu",
        "rat",
        "da",
        "dang",
        "se",
        "bi",
        "lam",
        "nguoi",
        "dan",
        "xin",
        "de",
        "nghi",
        "phan",
        "anh",
        "kien",
        "viec",
        "ve",
        "o",
        "la",
        "thi",
        "ma",
        "nen",
        "cung",
        "hay",
    ]
)
_SYLLABLE = re.compile(r"[a-z0-9]+")


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
    #: (word, recent count, previous count), fastest growing first
    rising: list[tuple[str, int, int]] = field(default_factory=list)
    #: level → (responded, p50 seconds, p90 seconds)
    response_by_level: dict[str, tuple[int, float | None, float | None]] = field(default_factory=dict)
    #: category id → (rated, average rating)
    satisfaction: dict[int, tuple[int, float | None]] = field(default_factory=dict)


def rising_words(
    recent: Counter[str], previous: Counter[str], *, limit: int = 10, minimum: int = 2
) -> list[tuple[str, int, int]]:
    """Words much more frequent now than in the previous period of the same length.

    Score: (recent + 1) / (previous + 1), words seen at least ``minimum`` times now.
    """
    scored = [(word, count, previous.get(word, 0)) for word, count in recent.items() if count >= minimum]
    scored.sort(key=lambda item: ((item[1] + 1) / (item[2] + 1), item[1]), reverse=True)
    return [item for item in scored if item[1] > item[2]][:limit]


def title_words(titles: list[str]) -> Counter[str]:
    """Two-syllable terms of the titles, folded, each once per title.

    Vietnamese words are mostly two syllables (``ngập lụt``, ``rác thải``), so pairs of
    neighbouring syllables name topics far better than single syllables do; pairs with a
    function word (``của``, ``và``…) are dropped. A petition repeating a term is one voice.
    """
    counts: Counter[str] = Counter()
    for title in titles:
        syllables = _SYLLABLE.findall(fold(title))
        pairs = {
            f"{a} {b}"
            for a, b in itertools.pairwise(syllables)
            if a not in STOPWORDS and b not in STOPWORDS and len(a) > 1 and len(b) > 1
        }
        counts.update(pairs)
    return counts


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
        in_period.annotate(day=TruncDate("submitted_at"))
        .values("day", "petition__category_id")
        .annotate(n=Count("pk"))
    ):
        volume[row["day"]][row["petition__category_id"]] = row["n"]
    day = query.since
    while day <= query.until:  # every day of the period, also the quiet ones
        result.volume_by_category[day] = volume.get(day, {})
        day += dt.timedelta(days=1)

    place = "petition__province__code" if query.places == "province" else "petition__commune__code"
    result.volume_by_place = dict(
        in_period.values_list(place).annotate(n=Count("pk")).values_list(place, "n")
    )

    length = end - start
    previous = cases.filter(submitted_at__gte=start - length, submitted_at__lt=start)
    result.rising = rising_words(
        title_words(list(in_period.values_list("petition__title", flat=True))),
        title_words(list(previous.values_list("petition__title", flat=True))),
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
        .values("petition__category_id")
        .annotate(n=Count("pk"), average=Avg("rating"))
    ):
        result.satisfaction[row["petition__category_id"]] = (row["n"], row["average"])
    return result


def as_chart(
    monitoring: Monitoring, categories: dict[int, Any], *, other_label: Any = "…", top: int = 5
) -> dict[str, Any]:
    """The volume chart's data: one line per top category, the rest summed as "other"."""
    totals: Counter[int] = Counter()
    for per_day in monitoring.volume_by_category.values():
        totals.update(per_day)
    leading = [pk for pk, _n in totals.most_common(top)]
    days = list(monitoring.volume_by_category)
    series = [
        {
            "label": str(categories.get(pk, pk)),
            "data": [monitoring.volume_by_category[d].get(pk, 0) for d in days],
        }
        for pk in leading
    ]
    if len(totals) > len(leading):
        series.append(
            {
                "label": str(other_label),
                "data": [
                    sum(n for pk, n in monitoring.volume_by_category[d].items() if pk not in leading)
                    for d in days
                ],
            }
        )
    return {"labels": [d.strftime("%d/%m") for d in days], "series": series}


def monitor(query: MonitorQuery) -> Monitoring:
    """The configured backend's numbers (Elasticsearch aggregations, or the database's)."""
    from search import get_backend

    result: Monitoring = get_backend().monitor(query)
    return result
