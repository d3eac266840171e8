"""The weekly synthesis a leader reads in two minutes: the topics of a period, and how each one moves.

A topic is a group of petitions that share a topic word (``monitoring.title_topics``: segmented
Vietnamese words of two syllables or more, without boilerplate) and is worth naming:

- **specific**: the petitions that carry the word sit mostly in one category (at least
  ``SPECIFICITY`` of them). Boilerplate that survives the stop-word list (``hoạt động``,
  ``xác nhận``, ``khu vực``) is spread over every category, so it never names a topic;
- **large enough**: at least ``MIN_COUNT`` petitions of the period carry it;
- **one voice**: words carried mostly by the same petitions are one topic (``SAME_TOPIC``),
  named by the word most petitions carry; a petition belongs to the first topic that takes it.

Each topic is compared with the trailing ``BASELINE_WEEKS`` weeks: its baseline is the count those
weeks predict for a period of this length, and the change is judged by a Poisson z-score
(``RISING_Z``), so "rising" means more than chance would give, not one more petition than before.
Falling topics are the baseline's topics that the period has lost most of.

Computed from the database rows of the scope (``search.database.scoped_cases``), whichever search
backend is configured: a period of a province's petitions is a few thousand titles, segmented once
per process (``monitoring.title_topics`` is cached).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from config.logs import redact
from search.base import Scope
from search.monitoring import title_topics

BASELINE_WEEKS = 8
MIN_COUNT = 3
SPECIFICITY = 0.6
SAME_TOPIC = 0.5
RISING_Z = 2.0
MAX_TOPICS = 8
EXAMPLES = 3
TOP_PLACES = 3
#: Compounds that pass the stop-word list yet say nothing of a subject (seen naming "topics" on the
#: bench data): never a topic's name.
GENERIC_WORDS = frozenset(
    {
        "sử dụng",
        "kéo dài",
        "hỗ trợ",
        "sinh hoạt",
        "bất thường",
        "hoạt động",
        "xác nhận",
        "khu vực",
        "nghiêm trọng",
        "ảnh hưởng",
        "tình trạng",
        "giải quyết",
        "xử lý",
        "thực hiện",
        "ban đêm",
        "thường xuyên",
        "nguy hiểm",
    }
)


@dataclass(frozen=True)
class SynthesisQuery:
    scope: Scope
    since: dt.date
    until: dt.date  # inclusive
    #: Where the petitions are counted: "province" (the national view) or "commune".
    places: str = "province"


@dataclass(frozen=True)
class Example:
    tracking_code: str
    #: The title with phone numbers and e-mail addresses taken out (``config.logs.redact``).
    title: str
    #: Published: the citizen agreed and the response is public (the statistics page shows it).
    published: bool


@dataclass
class Topic:
    label: str
    other_words: list[str]
    count: int
    #: The count the trailing weeks predict for a period of this length.
    baseline: float
    status: str  # "new", "rising", "steady" or "falling"
    places: list[tuple[str, int]] = field(default_factory=list)
    responded: int = 0
    on_time: int = 0
    rated: int = 0
    rating: float | None = None
    examples: list[Example] = field(default_factory=list)
    #: Petitions per week, the trailing weeks first and the period's last (see ``Synthesis.weeks``).
    weekly: list[int] = field(default_factory=list)
    #: Main category of the topic's petitions.
    category_id: int | None = None

    @property
    def growth(self) -> float | None:
        """The change against the baseline (0.5 is half as many again); None without a baseline."""
        return self.count / self.baseline - 1 if self.baseline else None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.responded if self.responded else None


@dataclass
class Synthesis:
    total: int = 0
    baseline_total: float = 0.0
    topics: list[Topic] = field(default_factory=list)
    #: Topics of the trailing weeks that the period has lost most of.
    falling: list[Topic] = field(default_factory=list)
    #: The Monday of each week of the chart: the trailing weeks, then the period's.
    weeks: list[dt.date] = field(default_factory=list)

    @property
    def new(self) -> list[Topic]:
        return [topic for topic in self.topics if topic.status == "new"]

    @property
    def rising(self) -> list[Topic]:
        return [topic for topic in self.topics if topic.status == "rising"]


@dataclass(frozen=True)
class Row:
    """One petition as the synthesis reads it."""

    case_id: int
    tracking_code: str
    title: str
    category_id: int
    place: str
    submitted_at: dt.datetime
    responded_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None
    rating: int | None = None
    published: bool = False


def z_score(count: int, baseline: float) -> float:
    """How far ``count`` is above (or below) a Poisson mean of ``baseline``, in standard deviations."""
    return (count - baseline) / math.sqrt(baseline + 1)


def status_of(count: int, baseline: float, before: int) -> str:
    if before == 0:
        return "new"
    z = z_score(count, baseline)
    if z >= RISING_Z and count >= 1.5 * baseline:
        return "rising"
    if z <= -RISING_Z and count <= 0.5 * baseline:
        return "falling"
    return "steady"


def synthesise(
    rows: Iterable[Row], background: Iterable[Row], *, since: dt.date, until: dt.date
) -> Synthesis:
    """The synthesis of ``rows`` (the period's petitions) against ``background`` (the trailing weeks').

    Pure: the database backend gives it rows (``synthesis_database``), the tests give it theirs.
    """
    now = list(rows)
    before = list(background)
    days = (until - since).days + 1
    scale = days / (7 * BASELINE_WEEKS)
    result = Synthesis(total=len(now), baseline_total=len(before) * scale)
    result.weeks = week_mondays(since, until)

    carriers_now: dict[str, list[int]] = defaultdict(list)
    carriers_before: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(now):
        for word in title_topics(row.title):
            carriers_now[word].append(index)
    for index, row in enumerate(before):
        for word in title_topics(row.title):
            carriers_before[word].append(index)

    def specific(word: str) -> bool:
        if word in GENERIC_WORDS:
            return False
        categories = Counter(now[i].category_id for i in carriers_now.get(word, ()))
        categories.update(before[i].category_id for i in carriers_before.get(word, ()))
        carried = sum(categories.values())
        return carried > 0 and max(categories.values()) >= SPECIFICITY * carried

    taken: set[int] = set()
    # (label, other words, petitions now, petitions before, the topic's category)
    groups: list[tuple[str, list[str], set[int], set[int], int]] = []
    # Most petitions first; of two words carried as often, the longer names the topic better.
    for word in sorted(carriers_now, key=lambda w: (-len(carriers_now[w]), -len(w), w)):
        petitions = set(carriers_now[word])
        if len(petitions) < MIN_COUNT or not specific(word):
            continue
        home = next(
            (g for g in groups if len(petitions & g[2]) >= SAME_TOPIC * len(petitions)),
            None,
        )
        if home is not None:
            # The word joins the topic, but only its petitions of the topic's subject do: a word
            # shared with a theft or a dengue petition ("khu phố") must not bring those in, nor
            # their earlier weeks into the baseline (a new topic would read as rising).
            subject = home[4]
            home[1].append(word)
            home[2].update(i for i in petitions - taken if now[i].category_id == subject)
            home[3].update(i for i in carriers_before.get(word, ()) if before[i].category_id == subject)
            taken.update(i for i in petitions if now[i].category_id == subject)
            continue
        if len(groups) == MAX_TOPICS:
            continue
        fresh = petitions - taken
        if len(fresh) < MIN_COUNT:
            continue
        subject = Counter(now[i].category_id for i in fresh).most_common(1)[0][0]
        groups.append((word, [], fresh, set(carriers_before.get(word, ())), subject))
        taken.update(fresh)

    for label, words, members, earlier, _subject in groups:
        result.topics.append(
            _topic(
                label,
                words,
                [now[i] for i in sorted(members)],
                [before[i] for i in earlier],
                scale,
                result.weeks,
            )
        )

    # Falling: the background's topics the period has lost most of (not among the period's topics).
    named = {topic.label for topic in result.topics} | {
        w for topic in result.topics for w in topic.other_words
    }
    falling_carriers: list[set[int]] = []
    for word in sorted(carriers_before, key=lambda w: (-len(carriers_before[w]), -len(w), w)):
        if word in named or not specific(word):
            continue
        earlier = set(carriers_before[word])
        same = next(
            (
                n
                for n, taken in enumerate(falling_carriers)
                if len(earlier & taken) >= SAME_TOPIC * len(earlier)
            ),
            None,
        )
        if same is not None:  # the same petitions: one falling topic
            result.falling[same].other_words.append(word)
            named.add(word)
            continue
        lost = [before[i] for i in carriers_before[word]]
        count = len(carriers_now.get(word, ()))
        if status_of(count, len(lost) * scale, len(lost)) != "falling":
            continue
        topic = _topic(word, [], [now[i] for i in carriers_now.get(word, ())], lost, scale, result.weeks)
        topic.status = "falling"
        result.falling.append(topic)
        falling_carriers.append(earlier)
        named.add(word)
        if len(result.falling) == MAX_TOPICS // 2:
            break
    return result


def week_mondays(since: dt.date, until: dt.date) -> list[dt.date]:
    """The Monday of each week of the chart: the ``BASELINE_WEEKS`` trailing weeks, then the period's."""
    first = since - dt.timedelta(days=since.weekday())
    weeks = [first - dt.timedelta(weeks=BASELINE_WEEKS - n) for n in range(BASELINE_WEEKS)]
    week = first
    while week <= until:
        weeks.append(week)
        week += dt.timedelta(weeks=1)
    return weeks


def _topic(
    label: str, words: list[str], now: list[Row], before: list[Row], scale: float, weeks: list[dt.date]
) -> Topic:
    baseline = len(before) * scale
    topic = Topic(
        label=label,
        other_words=words,
        count=len(now),
        baseline=round(baseline, 1),
        status=status_of(len(now), baseline, len(before)),
    )
    # Ties in the order of the places' codes (as the engine's terms order them), not the rows'.
    places = Counter(row.place for row in now if row.place)
    topic.places = sorted(places.items(), key=lambda item: (-item[1], item[0]))[:TOP_PLACES]
    categories = Counter(row.category_id for row in now) or Counter(row.category_id for row in before)
    topic.category_id = categories.most_common(1)[0][0] if categories else None
    responded = [row for row in now if row.responded_at is not None]
    topic.responded = len(responded)
    topic.on_time = len([row for row in responded if _on_time(row)])
    ratings = [row.rating for row in now if row.rating is not None]
    topic.rated = len(ratings)
    topic.rating = round(sum(ratings) / len(ratings), 1) if ratings else None
    # Published petitions first (the public already reads them), then the newest.
    chosen = sorted(now, key=lambda row: (not row.published, -row.submitted_at.timestamp()))[:EXAMPLES]
    topic.examples = [Example(row.tracking_code, redact(row.title), row.published) for row in chosen]
    per_week: Counter[dt.date] = Counter()
    for row in [*before, *now]:
        day = row.submitted_at.date() if isinstance(row.submitted_at, dt.datetime) else row.submitted_at
        per_week[day - dt.timedelta(days=day.weekday())] += 1
    topic.weekly = [per_week.get(week, 0) for week in weeks]
    return topic


def _on_time(row: Row) -> bool:
    """Answered by the resolution deadline (as the dashboard counts it: ``routing.metrics.ON_TIME``)."""
    if row.responded_at is None:
        return False
    return row.resolution_due_at is None or row.responded_at <= row.resolution_due_at


def synthesis_database(query: SynthesisQuery) -> Synthesis:
    """The synthesis of the scope's petitions submitted in the period, from the database."""
    from django.utils import timezone

    from routing.metrics import day_bounds
    from search.database import scoped_cases
    from search.documents import published_flag

    start, end = day_bounds(query.since, query.until)
    baseline_start = start - dt.timedelta(weeks=BASELINE_WEEKS)
    place = "petition__province__code" if query.places == "province" else "petition__commune__code"
    cases = scoped_cases(query.scope).order_by()
    fields = (
        "pk",
        "petition__tracking_code",
        "petition__title",
        "category_id",
        place,
        "submitted_at",
        "responded_at",
        "resolution_due_at",
        "rating",
        "published",
    )

    def rows(since: dt.datetime, until: dt.datetime) -> list[Row]:
        found = (
            cases.filter(submitted_at__gte=since, submitted_at__lt=until)
            .annotate(published=published_flag())
            .values_list(*fields)
        )
        return [
            Row(
                case_id=pk,
                tracking_code=code,
                title=title,
                category_id=category_id or 0,
                place=where or "",
                submitted_at=timezone.localtime(submitted),
                responded_at=responded,
                resolution_due_at=due,
                rating=rating,
                published=bool(public),
            )
            for pk, code, title, category_id, where, submitted, responded, due, rating, public in found
        ]

    return synthesise(rows(start, end), rows(baseline_start, start), since=query.since, until=query.until)


def synthesis_for(query: SynthesisQuery) -> Synthesis:
    """The synthesis from the configured backend: the engine's aggregations, else the database.

    When the engine does not answer, the database gives the same topics (more slowly at central's
    scale): a leader's weekly reading does not depend on the search engine being up.
    """
    import logging

    from django.conf import settings

    from search.base import SearchUnavailable

    if settings.SEARCH_BACKEND == "engine":
        from search.synthesis_engine import synthesis_engine

        try:
            return synthesis_engine(query)
        except SearchUnavailable as exc:
            logging.getLogger(__name__).warning("synthesis read from the database: %s", exc)
    return synthesis_database(query)
