"""The weekly synthesis from the search engine's aggregations: the same topics at national scale.

``search.synthesis.synthesise`` reads every petition of the period and the trailing weeks and
segments their titles; at central's scale that is hundreds of thousands of rows. Here the engine
counts instead, over the ``topics`` each document already carries (segmented at index time), in
three requests whatever the volume:

1. the period's most carried topic words (``CANDIDATES``), with their main categories and the
   words seen with them in the same petitions (``COMPANIONS``); the trailing weeks' most carried words, likewise;
2. the trailing weeks' counts of the period's words, and the period's counts of the trailing
   weeks' words (the ``include`` lists of step 1's words);
3. for each topic chosen, its numbers: places, answered on time, satisfaction, examples, weeks.

Topics are chosen by the rules of ``synthesise`` (specific words, at least ``MIN_COUNT``
petitions, one voice, ``MAX_TOPICS``), with one difference: a word joins a topic when at least
``SAME_TOPIC`` of its petitions carry one of the topic's words, judged word by word from the
pairwise counts (``with``), where the database version counts against the topic's petitions as a
whole. Each topic is then a query, ``label OR (joined word AND the topic's category)``, less the
petitions of the topics before it, and its numbers are counted exactly from that query. On the
same petitions the two give the same topics (``tests/search/test_synthesis_engine.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from elasticsearch.dsl import A, Q, Search
from elasticsearch.dsl.query import Query

from config.logs import redact
from search.elastic import ElasticBackend, _epoch_ms, _local_midnight, _scope_filters
from search.synthesis import (
    BASELINE_WEEKS,
    EXAMPLES,
    GENERIC_WORDS,
    MAX_TOPICS,
    MIN_COUNT,
    SAME_TOPIC,
    SPECIFICITY,
    TOP_PLACES,
    Example,
    Synthesis,
    SynthesisQuery,
    Topic,
    status_of,
    week_mondays,
)

#: Topic words of each period the engine returns. At central's scale a week has thousands of
#: words of three petitions or more; 100 cut words that join the eight topics (the bench's
#: ``mặt đường``, 108th, carried only with ``hư hỏng``), 300 keep them (bench/README.md).
CANDIDATES = 300
#: The words carried with each word that are counted: a word joins a topic when half of its
#: petitions carry one of the topic's words, which is then among its most frequent companions.
#: 300 × (40 + 5) buckets a period stay well under the engine's 65,535 ``max_buckets``.
COMPANIONS = 40
#: Categories returned per word: enough to find the main one (``SPECIFICITY``).
CATEGORIES = 5
#: Answered by the resolution deadline, or without one (``search.synthesis._on_time``).
ON_TIME_SCRIPT = (
    "doc['resolution_due_at'].size() == 0 || "
    "doc['responded_at'].value.toInstant().toEpochMilli() <= "
    "doc['resolution_due_at'].value.toInstant().toEpochMilli()"
)


@dataclass
class _Word:
    """What the engine says of one topic word in one period."""

    count: int = 0
    categories: dict[int, int] = field(default_factory=dict)
    #: word → petitions carrying both (the ``with`` sub-aggregation, within the period).
    together: dict[str, int] = field(default_factory=dict)


@dataclass
class _Group:
    label: str
    subject: int
    words: list[str] = field(default_factory=list)
    falling: bool = False

    def query(self) -> Query:
        if self.falling or not self.words:
            return Q("term", topics=self.label)
        joined = Q("bool", filter=[Q("terms", topics=self.words), Q("term", category_id=self.subject)])
        return Q("bool", should=[Q("term", topics=self.label), joined], minimum_should_match=1)


def synthesis_engine(query: SynthesisQuery, *, backend: ElasticBackend | None = None) -> Synthesis:
    """``search.synthesis.synthesis_database``'s result, from the engine's aggregations (see above)."""
    backend = backend or ElasticBackend()
    days = (query.until - query.since).days + 1
    scale = days / (7 * BASELINE_WEEKS)
    weeks = week_mondays(query.since, query.until)
    if query.scope.is_empty:
        return Synthesis(weeks=weeks)
    start, end = _local_midnight(query.since), _local_midnight(query.until + dt.timedelta(days=1))
    earliest = _local_midnight(query.since - dt.timedelta(weeks=BASELINE_WEEKS))
    now_range = Q("range", submitted_at={"gte": start, "lt": end})
    before_range = Q("range", submitted_at={"gte": earliest, "lt": start})
    scope = _scope_filters(query.scope)

    # 1. The words of each period.
    search = _base(scope, earliest, end)
    for name, period, least in (("now", now_range, MIN_COUNT), ("before", before_range, 1)):
        carried = search.aggs.bucket(name, "filter", period).bucket("words", _words(min_doc_count=least))
        carried.bucket("with", "terms", field="topics", size=COMPANIONS)
        carried.bucket("categories", "terms", field="category_id", size=CATEGORIES)
    found = backend._send(search, "read the synthesis's topics")["aggregations"]
    now, before = _read_words(found["now"]["words"]), _read_words(found["before"]["words"])
    result = Synthesis(
        total=int(found["now"]["doc_count"]),
        baseline_total=int(found["before"]["doc_count"]) * scale,
        weeks=weeks,
    )

    # 2. Each period's counts of the other period's words.
    missing_before = sorted(set(now) - set(before))
    missing_now = sorted(set(before) - set(now))
    if missing_before or missing_now:
        search = _base(scope, earliest, end)
        for name, period, words in (
            ("before", before_range, missing_before),
            ("now", now_range, missing_now),
        ):
            if words:
                # With their companions too: a word found through the other period may join a topic.
                added = search.aggs.bucket(name, "filter", period).bucket(
                    "words", "terms", field="topics", size=len(words), include=words
                )
                added.bucket("categories", "terms", field="category_id", size=CATEGORIES)
                added.bucket("with", "terms", field="topics", size=COMPANIONS)
        found = backend._send(search, "read the synthesis's baselines")["aggregations"]
        for name, held in (("before", before), ("now", now)):
            if name in found:
                for word, seen in _read_words(found[name]["words"]).items():
                    held.setdefault(word, seen)

    groups = _topics(now, before)
    falling = _falling(now, before, named={w for g in groups for w in (g.label, *g.words)}, scale=scale)
    if not groups and not falling:
        return result

    # 3. The numbers of each topic, counted exactly from its query.
    search = _base(scope, earliest, end)
    taken: list[Query] = []
    for n, group in enumerate([*groups, *falling]):
        members = group.query()
        in_period = members
        if not group.falling:
            in_period = Q("bool", filter=[members], must_not=taken) if taken else members
            taken.append(members)
        counted = search.aggs.bucket(
            f"t{n}",
            "filter",
            Q(
                "bool",
                should=[
                    Q("bool", filter=[now_range, in_period]),
                    Q("bool", filter=[before_range, members]),
                ],
                minimum_should_match=1,
            ),
        )
        counted.bucket("weeks", _weekly(weeks))
        counted.bucket("before", "filter", before_range).bucket(
            "categories", "terms", field="category_id", size=1
        )
        in_now = counted.bucket("now", "filter", now_range)
        in_now.bucket(
            "places",
            "terms",
            field="province_code" if query.places == "province" else "commune_code",
            size=TOP_PLACES,
            order=[{"_count": "desc"}, {"_key": "asc"}],
        )
        in_now.bucket("categories", "terms", field="category_id", size=1)
        in_now.bucket("responded", "filter", Q("exists", field="responded_at")).bucket(
            "on_time", "filter", Q("script", script={"source": ON_TIME_SCRIPT, "lang": "painless"})
        )
        in_now.metric("rating", "stats", field="rating")
        in_now.metric(
            "examples",
            "top_hits",
            size=EXAMPLES,
            sort=[
                {"published": {"order": "desc", "missing": "_last"}},
                {"submitted_at": {"order": "desc"}},
            ],
            _source=["code", "title", "published"],
        )
    found = backend._send(search, "count the synthesis's topics")["aggregations"]
    zone = ZoneInfo(settings.TIME_ZONE)
    for n, group in enumerate([*groups, *falling]):
        topic = _read_topic(group, found[f"t{n}"], scale=scale, weeks=weeks, zone=zone)
        if group.falling:
            topic.status = "falling"
            result.falling.append(topic)
        elif topic.count >= MIN_COUNT:  # the pairwise counts may have promised more than it holds
            result.topics.append(topic)
    return result


def _base(scope: list[Query], earliest: str, end: str) -> Search:
    in_reach = Q("bool", filter=[*scope, Q("range", submitted_at={"gte": earliest, "lt": end})])
    return Search().filter(in_reach).extra(size=0)


def _words(*, min_doc_count: int) -> Any:
    return A(
        "terms",
        field="topics",
        size=CANDIDATES,
        min_doc_count=min_doc_count,
        order=[{"_count": "desc"}, {"_key": "asc"}],
    )


def _weekly(weeks: list[dt.date]) -> Any:
    """Weeks (Monday first, the portal's time zone) of the chart, quiet ones included."""
    return A(
        "date_histogram",
        field="submitted_at",
        calendar_interval="week",
        time_zone=settings.TIME_ZONE,
        min_doc_count=0,
        extended_bounds={"min": _epoch_ms(weeks[0]), "max": _epoch_ms(weeks[-1])},
    )


def _read_words(aggregation: dict[str, Any]) -> dict[str, _Word]:
    words: dict[str, _Word] = {}
    for bucket in aggregation["buckets"]:
        word = words.setdefault(str(bucket["key"]), _Word())
        word.count = int(bucket["doc_count"])
        if "categories" in bucket:
            word.categories = {int(c["key"]): int(c["doc_count"]) for c in bucket["categories"]["buckets"]}
        if "with" in bucket:
            word.together = {
                str(w["key"]): int(w["doc_count"])
                for w in bucket["with"]["buckets"]
                if w["key"] != bucket["key"]
            }
    return words


def _specific(word: str, now: dict[str, _Word], before: dict[str, _Word]) -> bool:
    """``synthesise``'s rule: the word's petitions sit mostly in one category."""
    if word in GENERIC_WORDS:
        return False
    a, b = now.get(word, _Word()), before.get(word, _Word())
    carried = a.count + b.count
    categories = set(a.categories) | set(b.categories)
    most = max((a.categories.get(c, 0) + b.categories.get(c, 0) for c in categories), default=0)
    return carried > 0 and most >= SPECIFICITY * carried


def _order(words: dict[str, _Word]) -> list[str]:
    # Most petitions first; of two words carried as often, the longer names the topic better.
    return sorted(words, key=lambda w: (-words[w].count, -len(w), w))


def _overlap(words: dict[str, _Word]) -> Callable[[str, list[str]], int]:
    def overlap(word: str, others: list[str]) -> int:
        return max((words[word].together.get(other, 0) for other in others), default=0)

    return overlap


def _topics(now: dict[str, _Word], before: dict[str, _Word]) -> list[_Group]:
    groups: list[_Group] = []
    overlap = _overlap(now)
    for word in _order(now):
        count = now[word].count
        if count < MIN_COUNT or not _specific(word, now, before):
            continue
        home = next((g for g in groups if overlap(word, [g.label, *g.words]) >= SAME_TOPIC * count), None)
        if home is not None:
            home.words.append(word)
            continue
        if len(groups) == MAX_TOPICS:
            continue
        taken = [w for g in groups for w in (g.label, *g.words)]
        if count - overlap(word, taken) < MIN_COUNT:
            continue
        categories = now[word].categories
        subject = max(categories, key=lambda c: (categories[c], -c)) if categories else 0
        groups.append(_Group(label=word, subject=subject))
    return groups


def _falling(
    now: dict[str, _Word], before: dict[str, _Word], *, named: set[str], scale: float
) -> list[_Group]:
    """The trailing weeks' topics that the period has lost most of (``synthesise``'s rule)."""
    groups: list[_Group] = []
    overlap = _overlap(before)
    for word in _order(before):
        if word in named or not _specific(word, now, before):
            continue
        earlier = before[word].count
        same = next((g for g in groups if overlap(word, [g.label, *g.words]) >= SAME_TOPIC * earlier), None)
        if same is not None:  # the same petitions: one falling topic
            same.words.append(word)
            named.add(word)
            continue
        count = now[word].count if word in now else 0
        if status_of(count, earlier * scale, earlier) != "falling":
            continue
        groups.append(_Group(label=word, subject=0, falling=True))
        named.add(word)
        if len(groups) == MAX_TOPICS // 2:
            break
    return groups


def _read_topic(
    group: _Group, found: dict[str, Any], *, scale: float, weeks: list[dt.date], zone: ZoneInfo
) -> Topic:
    period, earlier = found["now"], found["before"]
    count, before = int(period["doc_count"]), int(earlier["doc_count"])
    baseline = before * scale
    topic = Topic(
        label=group.label,
        other_words=list(group.words),
        count=count,
        baseline=round(baseline, 1),
        status=status_of(count, baseline, before),
    )
    topic.places = [(str(b["key"]), int(b["doc_count"])) for b in period["places"]["buckets"]]
    main = period["categories"]["buckets"] or earlier["categories"]["buckets"]
    topic.category_id = int(main[0]["key"]) if main else None
    topic.responded = int(period["responded"]["doc_count"])
    topic.on_time = int(period["responded"]["on_time"]["doc_count"])
    topic.rated = int(period["rating"]["count"])
    average = period["rating"]["avg"]
    topic.rating = round(float(average), 1) if topic.rated and average is not None else None
    topic.examples = [
        Example(
            tracking_code=str(hit["_source"]["code"]),
            title=redact(hit["_source"]["title"]),
            published=bool(hit["_source"].get("published")),
        )
        for hit in period["examples"]["hits"]["hits"]
    ]
    per_week = {
        dt.datetime.fromtimestamp(b["key"] / 1000, zone).date(): int(b["doc_count"])
        for b in found["weeks"]["buckets"]
    }
    topic.weekly = [per_week.get(week, 0) for week in weeks]
    return topic
