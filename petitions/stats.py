"""Public statistics for the citizen portal: counts, on-time rate, response times, satisfaction.

Nothing here reads or returns personal data. Every number is computed in the
database with a fixed number of queries whatever the amount of data:

========================  ==========  ======
call                      PostgreSQL  SQLite
========================  ==========  ======
``public_summary``        1           2
``public_breakdown``      1           2
a cached call             0           0
``published_responses``   1           1       (a rendered page of results included)
``public_map``            1           1
========================  ==========  ======

PostgreSQL computes medians with ``percentile_cont``. SQLite, the embedded
default, has no percentile function, so there the median falls back to one
extra query that fetches only the response durations of answered cases and
takes the median in Python. That is fine on one machine; production runs on
PostgreSQL.

"Received" counts petitions by the time they were submitted; a petition
counts as "answered" once a response was published to the citizen
(``responded_at`` is set), whatever happened afterwards. Rejected, duplicate
and withdrawn petitions closed without a response are received but not
answered. A citizen who was not satisfied reopens the case, which clears its
``responded_at`` until the next response.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import logging
import operator
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import NotSupportedError, connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, Extract
from django.utils import timezone, translation

from petitions.models import Category
from routing.models import Case, CaseState, Level, Unit
from routing.reference import unit_table
from routing.rollups import Totals, rollup_through, rollup_totals

logger = logging.getLogger(__name__)

#: Seconds a computed statistic is served from the cache.
PUBLIC_STATS_TIMEOUT = 300
#: v2: one entry for every language (category names in both, chosen on reading).
CACHE_KEY_PREFIX = "public-stats:v2"
#: An ``until`` this recent means "up to now" (see ``cached_public_stats``).
OPEN_END_TOLERANCE = dt.timedelta(minutes=1)

SECONDS_PER_DAY = 86_400

#: A response was published to the citizen (and not taken back by a reopening).
ANSWERED = Q(responded_at__isnull=False)
ON_TIME = ANSWERED & Q(responded_at__lte=F("resolution_due_at"))

GROUP_FIELDS: dict[str, tuple[str, str, str]] = {
    # by: (id, code, name) lookups from Case
    "province": ("petition__province_id", "petition__province__code", "petition__province__name"),
    "category": ("petition__category_id", "petition__category__code", "petition__category__name"),
}

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Summary:
    """Public numbers for a set of petitions.

    ``on_time_rate`` is a share (0.667 means 66.7 %), rounded to 3 decimals;
    ``median_response_days`` is rounded to 1 decimal; ``satisfaction`` is the
    average 1-5 rating, rounded to 1 decimal. Each is None when there is
    nothing to measure.
    """

    received: int
    answered: int
    on_time: int
    rated: int
    on_time_rate: float | None
    median_response_days: float | None
    satisfaction: float | None
    #: The median comes from the daily rollups' histograms (``routing.rollups``): an estimate.
    median_estimated: bool = dataclasses.field(default=False, kw_only=True)


@dataclass(frozen=True)
class Row(Summary):
    """One province or category of a breakdown: its id, code and display name, then its numbers."""

    key: int
    code: str
    name: str


class Median(Aggregate):
    """``percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)``: the median (PostgreSQL, Oracle; not SQLite, MySQL)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, output_field=FloatField(), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        raise NotSupportedError(
            "SQLite has no percentile_cont: fetch the values and take the median in Python."
        )

    as_mysql = as_sqlite


def _response_duration() -> ExpressionWrapper:
    return ExpressionWrapper(F("responded_at") - F("submitted_at"), output_field=DurationField())


def _has_percentile() -> bool:
    return connection.vendor == "postgresql"


def _aggregates() -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "received": Count("pk"),
        "answered": Count("pk", filter=ANSWERED),
        "on_time": Count("pk", filter=ON_TIME),
        "rated": Count("rating"),
        "rating_avg": Avg("rating"),
    }
    if _has_percentile():
        epoch = Cast(Extract(_response_duration(), "epoch"), FloatField())
        aggregates["median_seconds"] = Median(epoch, filter=ANSWERED)
    return aggregates


def _median_seconds(durations: Iterable[dt.timedelta]) -> float | None:
    """The SQLite fallback: the median of durations fetched by one query."""
    seconds = [duration.total_seconds() for duration in durations]
    return statistics.median(seconds) if seconds else None


def _summary_fields(values: dict[str, Any], median_seconds: float | None) -> dict[str, Any]:
    answered = values["answered"] or 0
    rating_avg = values["rating_avg"]
    return {
        "received": values["received"] or 0,
        "answered": answered,
        "on_time": values["on_time"] or 0,
        "rated": values["rated"] or 0,
        "on_time_rate": round(values["on_time"] / answered, 3) if answered else None,
        "median_response_days": (
            round(median_seconds / SECONDS_PER_DAY, 1) if answered and median_seconds is not None else None
        ),
        "satisfaction": round(float(rating_avg), 1) if rating_avg is not None else None,
    }


def _cases_submitted(since: dt.datetime, until: dt.datetime | None) -> QuerySet[Case]:
    cases = Case.objects.filter(submitted_at__gte=since)
    if until is not None:
        cases = cases.filter(submitted_at__lt=until)
    return cases.order_by()


# --- cache -------------------------------------------------------------------


def _key_part(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    return repr(value)


def stats_cache_key(name: str, *args: Any, **kwargs: Any) -> str:
    """The cache key of one call: function and arguments.

    Not the language: numbers are computed once for both, so the Vietnamese and English pages
    never disagree; names are chosen in the active language after the cache (``public_breakdown``).
    """
    parts = [name, *(_key_part(a) for a in args)]
    # None is every optional argument's default: leaving it out makes ``until=None`` and no ``until`` one key.
    parts += [f"{key}={_key_part(value)}" for key, value in sorted(kwargs.items()) if value is not None]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"{CACHE_KEY_PREFIX}:{name}:{digest}"


_MISS = object()


def cached_public_stats(func: Callable[P, R]) -> Callable[P, R]:
    """Serve ``func``'s result from Django's cache for ``PUBLIC_STATS_TIMEOUT`` seconds.

    The key holds the arguments, not the language: a cached value must not depend
    on it. A hit costs no query. An ``until`` less than
    ``OPEN_END_TOLERANCE`` ago (or in the future) is taken as None, "up to
    now": a view that passes ``until=timezone.now()`` would otherwise miss the
    cache on every request, and the figures are minutes old anyway. If the cache itself is
    down, the value is computed (public pages keep working) and the failure
    is logged.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        until = kwargs.get("until")
        if isinstance(until, dt.datetime) and until >= timezone.now() - OPEN_END_TOLERANCE:
            # ``until=now`` would make every call a new key; it means "up to now".
            kwargs["until"] = None
        key = stats_cache_key(func.__name__, *args, **kwargs)
        try:
            hit = cache.get(key, _MISS)
        except Exception:
            logger.warning("public stats cache unavailable; computing %s", func.__name__, exc_info=True)
            return func(*args, **kwargs)
        if hit is not _MISS:
            return cast(R, hit)
        value = func(*args, **kwargs)
        try:
            cache.set(key, value, PUBLIC_STATS_TIMEOUT)
        except Exception:
            logger.warning("public stats cache unavailable; not storing %s", func.__name__, exc_info=True)
        return value

    return wrapper


# --- windows -----------------------------------------------------------------


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def last_30_days(now: dt.datetime) -> dt.datetime:
    """Start of the 30-day window: local midnight 30 days before today.

    Starting at midnight keeps ``since`` (and so the cache key) the same all day.
    """
    return _local_midnight(timezone.localdate(now) - dt.timedelta(days=30))


def last_12_months(now: dt.datetime) -> dt.datetime:
    """Start of the 12-month window: local midnight of the same date a year ago (28 Feb for 29 Feb)."""
    today = timezone.localdate(now)
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return _local_midnight(start)


# --- selectors ---------------------------------------------------------------


@cached_public_stats
def public_summary(*, since: dt.datetime, until: dt.datetime | None = None) -> Summary:
    """Numbers for the petitions submitted in ``[since, until)`` (``until`` None: up to now).

    One query on PostgreSQL, two on SQLite (the median); none when cached.
    """
    rolled = _rolled(since, until, "p")
    if rolled is not None:
        total = Totals()
        for totals in rolled.values():
            total.add(totals)
        return Summary(**_rolled_fields(total), median_estimated=True)
    cases = _cases_submitted(since, until)
    values = cases.aggregate(**_aggregates())
    if _has_percentile():
        median_seconds = values["median_seconds"]
    else:
        median_seconds = _median_seconds(cases.filter(ANSWERED).values_list(_response_duration(), flat=True))
    return Summary(**_summary_fields(values, median_seconds))


def public_breakdown(
    *, since: dt.datetime, until: dt.datetime | None = None, by: Literal["province", "category"]
) -> list[Row]:
    """``public_summary`` per province or per category, most petitions first, empty groups left out.

    Category names are in the active language (English when it starts with
    "en", else Vietnamese); the numbers are the same in both. One query on
    PostgreSQL, two on SQLite; none when cached.
    """
    if by not in GROUP_FIELDS:
        raise ValueError(f"by must be 'province' or 'category', not {by!r}")
    english = (translation.get_language() or settings.LANGUAGE_CODE).startswith("en")
    rows = [
        dataclasses.replace(row, name=name_en) if english and name_en else row
        for row, name_en in _breakdown(since=since, until=until, by=by)
    ]
    return sorted(rows, key=lambda row: (-row.received, row.name, row.key))


@cached_public_stats
def _breakdown(*, since: dt.datetime, until: dt.datetime | None, by: str) -> list[tuple[Row, str]]:
    """The rows of ``public_breakdown`` with their Vietnamese names, each with its English name or ""."""
    rolled = _rolled(since, until, "p" if by == "province" else "c")
    if rolled is not None:
        return _rolled_breakdown(rolled, by)
    id_field, code_field, name_field = GROUP_FIELDS[by]
    names = [name_field] + (["petition__category__name_en"] if by == "category" else [])
    cases = _cases_submitted(since, until)
    groups = list(cases.values(id_field, code_field, *names).annotate(**_aggregates()))

    if _has_percentile():
        medians = {group[id_field]: group["median_seconds"] for group in groups}
    else:
        durations: dict[int, list[dt.timedelta]] = defaultdict(list)
        answered = cases.filter(ANSWERED).values_list(id_field, _response_duration())
        for group_id, duration in answered:
            durations[group_id].append(duration)
        medians = {group_id: _median_seconds(values) for group_id, values in durations.items()}

    return [
        (
            Row(
                key=group[id_field],
                code=group[code_field],
                name=group[name_field],
                **_summary_fields(group, medians.get(group[id_field])),
            ),
            (group["petition__category__name_en"] or "") if by == "category" else "",
        )
        for group in groups
        if group["received"]
    ]


def _rolled(since: dt.datetime, until: dt.datetime | None, dim: str) -> dict[int | None, Totals] | None:
    """The windows' cohorts from the daily rollups (``routing.rollups``), per province (``p``) or
    category (``c``); None when they cannot answer (a window not from a local midnight to now, or
    no rollup yet): then the cases are counted as before."""
    local = timezone.localtime(since)
    if until is not None or local.time() != dt.time.min:
        return None
    through = rollup_through()
    if through is None or local.date() > through:
        return None
    central = next((u for u in unit_table().by_id.values() if u.level == Level.CENTRAL), None)
    if central is None:
        return None
    found = rollup_totals(
        scope=central,
        since=local.date(),
        until=timezone.localdate(),
        through=through,
        dims=(dim,),
        measures=("received",),
    )
    return {key or None: totals for (_dim, key, _measure), totals in found.groups.items()}


def _rolled_fields(totals: Totals) -> dict[str, Any]:
    values = {
        "received": totals.count,
        "answered": totals.answered,
        "on_time": totals.on_time,
        "rated": totals.rated,
        "rating_avg": totals.rating_sum / totals.rated if totals.rated else None,
    }
    return _summary_fields(values, totals.percentile(0.5) if totals.answered else None)


def _rolled_breakdown(rolled: dict[int | None, Totals], by: str) -> list[tuple[Row, str]]:
    if by == "province":
        table = unit_table().by_id
        names = {pk: (table[pk].code, table[pk].name, "") for pk in rolled if pk in table}
    else:
        names = {
            pk: (code, name, name_en or "")
            for pk, code, name, name_en in Category.objects.filter(
                pk__in=[k for k in rolled if k]
            ).values_list("pk", "code", "name", "name_en")
        }
    rows = []
    for key, totals in rolled.items():
        if not totals.count:
            continue
        code, name, name_en = names.get(key, (None, None, "")) if key is not None else (None, None, "")
        fields = _rolled_fields(totals)
        rows.append((Row(key=key, code=code, name=name, median_estimated=True, **fields), name_en))  # type: ignore[arg-type]
    return rows


#: What a public list of responses may load: no name, phone, email, address or map point.
PUBLISHED_RESPONSE_FIELDS = (
    "id",
    "state",
    "response_text",
    "responded_at",
    "rating",
    "petition",
    "petition__tracking_code",
    "petition__title",
    "petition__text",
    "petition__submitted_at",
    "petition__category",
    "petition__category__code",
    "petition__category__name",
    "petition__category__name_en",
    "petition__province",
    "petition__province__code",
    "petition__province__name",
    "petition__commune",
    "petition__commune__code",
    "petition__commune__name",
)


def published_responses(
    *,
    limit: int = 20,
    category: Category | int | None = None,
    province: Unit | int | None = None,
) -> QuerySet[Case]:
    """The newest published responses whose citizen agreed to publication.

    Cases that are responded or closed with a response, and whose petition
    has ``consent_publish``. Only the fields of ``PUBLISHED_RESPONSE_FIELDS``
    are loaded (personal fields stay deferred), with petition, category,
    province and commune joined: a page of results is one query. Use
    ``case.petition.category.display_name`` for the category in the active
    language.
    """
    cases = Case.objects.filter(
        ANSWERED,
        state__in=(CaseState.RESPONDED, CaseState.CLOSED),
        petition__consent_publish=True,
    )
    if category is not None:
        cases = cases.filter(petition__category=category)
    if province is not None:
        cases = cases.filter(petition__province=province)
    return (
        cases.select_related("petition", "petition__category", "petition__province", "petition__commune")
        .only(*PUBLISHED_RESPONSE_FIELDS)
        .order_by("-responded_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class MapPlace:
    """One symbol of the public map: a commune's own point and how many published petitions it holds."""

    code: str
    name: str
    province: str
    latitude: float
    longitude: float
    count: int


@cached_public_stats
def public_map() -> list[MapPlace]:
    """Where the published petitions are, coarsened to their commune: most petitions first.

    Only petitions whose citizen agreed to publication, with a published response (as
    ``published_responses``) and a point of their own. The point itself never leaves the
    database: each petition counts at its commune's point (the package's coordinates of the
    commune, public), a place the statistics page already names for every published response.
    Communes without a point are left out. One query; none when cached.
    """
    rows = (
        Case.objects.filter(
            ANSWERED,
            state__in=(CaseState.RESPONDED, CaseState.CLOSED),
            petition__consent_publish=True,
            petition__latitude__isnull=False,
            petition__commune__latitude__isnull=False,
            petition__commune__longitude__isnull=False,
        )
        .values(
            "petition__commune__code",
            "petition__commune__name",
            "petition__province__name",
            "petition__commune__latitude",
            "petition__commune__longitude",
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    places = [
        MapPlace(
            code=row["petition__commune__code"],
            name=row["petition__commune__name"],
            province=row["petition__province__name"] or "",
            latitude=round(float(row["petition__commune__latitude"]), 6),
            longitude=round(float(row["petition__commune__longitude"]), 6),
            count=row["count"],
        )
        for row in rows
    ]
    return sorted(places, key=lambda place: (-place.count, place.province, place.name))


#: How many answered petitions the database pre-selects (most title words first) before words are compared.
SUGGEST_CANDIDATES = 100
#: The title's words looked for in the database (the rest are still compared in Python).
SUGGEST_MAX_WORDS = 8
#: A shared two-syllable term (``hố ga``, ``ngập nước``) is worth this much more than its two words.
SUGGEST_PAIR_WEIGHT = 2
#: Function words that ``search.monitoring.STOPWORDS`` keeps (it is tuned for topics): they say when,
#: how or where, not what (``sau mưa`` is "after rain"), so two titles sharing them are not alike.
SUGGEST_FUNCTION_TEXT = (
    "sau trước vào ra như do vì nhưng hoặc lại rồi còn đó kia nào gì ai hơn vẫn hết suốt lúc gần đâu nay"
)
SUGGEST_FUNCTION_WORDS = frozenset(SUGGEST_FUNCTION_TEXT.split())
_SYLLABLE = re.compile(r"\w+")

#: A word of the citizen's title as it is compared: ``("spelled", "hố")`` or ``("folded", "ho")``.
WordKey = tuple[Literal["spelled", "folded"], str]


@dataclass(frozen=True)
class TitleWords:
    """The meaningful words of a title being typed, and its neighbouring pairs of them."""

    words: frozenset[WordKey]
    pairs: frozenset[tuple[WordKey, WordKey]]


def _function_words() -> tuple[frozenset[str], frozenset[str]]:
    from search.documents import fold
    from search.monitoring import STOPWORDS

    spelled = STOPWORDS | SUGGEST_FUNCTION_WORDS
    return spelled, frozenset(fold(word) for word in spelled)


def _syllables(title: str) -> list[tuple[str, str]]:
    """(as spelled, lowercase; folded) per syllable of a title."""
    from search.documents import fold, nfc

    return [(syllable, fold(syllable)) for syllable in _SYLLABLE.findall(nfc(title).lower())]


def title_words(title: str) -> TitleWords:
    """What of a citizen's title is compared with the answered petitions.

    Vietnamese syllables are short (``hố``, ``ga``, ``vỡ``), so two letters are enough; function
    words and numbers are left out. A title typed mostly with tone marks is compared as spelled
    (``ga`` is then a drain, not ``gà``, a chicken); words typed without marks in a title typed
    without them are compared folded, so ``ngap nuoc`` finds ``ngập nước``. Folded, a function
    word may be a content word too (``den``: ``đến`` or ``đèn``): such a word counts only in a
    pair with a meaningful one (``den duong``).
    """
    spelled_stop, folded_stop = _function_words()
    syllables = _syllables(title)
    marked = sum(1 for spelled, folded in syllables if spelled != folded)
    with_marks = marked * 2 >= len(syllables) > 0
    keys: list[WordKey | None] = []
    weak: set[WordKey] = set()
    for spelled, folded in syllables:
        key: WordKey | None = None
        if folded.isdigit():
            pass
        elif spelled != folded or with_marks:
            if spelled not in spelled_stop and (len(spelled) >= 2 or spelled != folded):
                key = ("spelled", spelled)
        elif len(folded) >= 2 and folded not in spelled_stop:
            key = ("folded", folded)
            if folded in folded_stop:
                weak.add(("folded", folded))
        keys.append(key)
    pairs = {
        (a, b)
        for a, b in itertools.pairwise(keys)
        if a is not None and b is not None and not (a in weak and b in weak)
    }
    words = frozenset(key for key in keys if key is not None and key not in weak)
    return TitleWords(words=words, pairs=frozenset(pairs))


def _matches(key: WordKey, syllable: tuple[str, str]) -> bool:
    kind, word = key
    return word == (syllable[0] if kind == "spelled" else syllable[1])


def likeness(wanted: TitleWords, title: str) -> int:
    """How alike ``title`` is to the title being typed: shared words, plus more for shared pairs; 0: nothing shared."""
    syllables = _syllables(title)
    shared = sum(1 for key in wanted.words if any(_matches(key, s) for s in syllables))
    if not shared:
        return 0
    pairs = sum(
        1
        for first, second in wanted.pairs
        if any(_matches(first, a) and _matches(second, b) for a, b in itertools.pairwise(syllables))
    )
    return shared + SUGGEST_PAIR_WEIGHT * pairs


def similar_published(title: str, *, limit: int = 3) -> list[Case]:
    """Published responses to petitions like ``title``, for a citizen typing one.

    Only responses whose citizen agreed to publication, as on the statistics page, with the
    fields of ``PUBLISHED_RESPONSE_FIELDS`` (no personal data). A petition must share at least
    one meaningful word of the title (``title_words``); those sharing more, and two-syllable
    terms above all, come first, then the newest response. One query.
    """
    from search.database import word_in_title
    from search.documents import fold

    wanted = title_words(title)
    if not wanted.words:
        return []
    folded = sorted({fold(word) for _kind, word in wanted.words}, key=len, reverse=True)[:SUGGEST_MAX_WORDS]
    # Whole folded words of the title pick and order the candidates; spellings are compared below.
    in_title = [word_in_title(word) for word in folded]
    title_hits = functools.reduce(
        operator.add,
        (SqlCase(When(condition, then=Value(1)), default=Value(0)) for condition in in_title),
    )
    candidates = list(
        Case.objects.filter(
            ANSWERED,
            functools.reduce(operator.or_, in_title),
            state__in=(CaseState.RESPONDED, CaseState.CLOSED),
            petition__consent_publish=True,
        )
        .annotate(title_hits=title_hits)
        .select_related("petition", "petition__category", "petition__province", "petition__commune")
        .only(*PUBLISHED_RESPONSE_FIELDS)
        .order_by("-title_hits", "-responded_at", "-pk")[:SUGGEST_CANDIDATES]
    )
    scored = [(likeness(wanted, case.petition.title), case) for case in candidates]
    scored = [(score, case) for score, case in scored if score > 0]
    # Candidates come newest response first; a stable sort keeps that order among equals.
    scored.sort(key=lambda item: -item[0])
    return [case for _score, case in scored[:limit]]
