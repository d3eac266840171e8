"""Emerging-issue detection: which (place, subject) counts of the last hours are significant spikes.

A *cell* is a place (a province or a commune), a subject (a topic, ``c:<category id>``, or a
significant word of the titles, ``t:<word>``, from ``search.monitoring.title_topics``) and a
window (the last 24 or 72 hours). Its count ``x`` is compared with the same window 1, 2 … 8
weeks earlier (same hours of the same days of the week, so a Monday is compared with Mondays):
``S`` petitions in those eight windows together.

The test (docs/architecture.md, "Emerging-issue alerts"): if the place's rate for the subject has
not changed, ``x`` and the eight baseline counts are Poisson counts with one rate, and given
their total ``n = x + S`` the current count is binomial: ``x ~ Bin(n, 1/(K+1))`` with ``K = 8``.
The p-value is that binomial's upper tail ``P(X ≥ x)``: the exact conditional test of a Poisson
count against a Poisson baseline. Unlike a Poisson tail against the baseline's mean, it does not
pretend that eight weeks measured the rate exactly, so a word seen once in eight weeks is not
a "spike" at its third petition. A cell is flagged when ``x ≥ ALERTS_MIN_COUNT`` and
``p ≤ ALERTS_FAMILY_ALPHA / N``, where ``N`` is the number of cells of the run that reach the
minimum count (Bonferroni over the cells that could be flagged at all: Tarone's correction for
discrete tests, since a cell under the minimum count can never be flagged).

Flagged cells then become spikes: per place and subject the window with the smallest p-value;
subjects of one place carried by the same petitions (a topic and its words) are one spike; a
province spike held mostly by one commune is that commune's, and commune spikes inside a
province-wide one are the province's.

Everything here is plain Python over a ``Source`` (the search engine's, the database's, or the
benchmark's list in memory; ``alerts.sources``): the queries are one per window, never one per place.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from search.monitoring import title_topics

Range = tuple[dt.datetime, dt.datetime]
Cell = tuple[int, str, int]  # place id, subject key, window hours

#: Share of a province spike's petitions that one commune must hold for the spike to be the commune's.
COMMUNE_HOLDS_SHARE = 0.75
#: Two subjects of one place are one spike when this share of the smaller one's petitions carry both.
SAME_PETITIONS_SHARE = 0.5


@dataclass(frozen=True)
class Row:
    """What detection reads of one petition."""

    #: The petition's case (``routing.Case`` pk): the identity of the petition in a spike.
    pk: int
    submitted_at: dt.datetime
    province_id: int
    commune_id: int
    category_id: int
    title: str
    #: The title's topic words when the source already has them (the engine segments titles at
    #: index time); None: detection segments the title itself (``title_topics``).
    topics: frozenset[str] | None = None


class Source(Protocol):
    def rows(
        self,
        ranges: Sequence[Range],
        *,
        province_ids: Collection[int] | None = None,
        terms: Collection[str] | None = None,
    ) -> list[Row]:
        """Petitions submitted within any of ``ranges`` (of these provinces; whose text may hold these words)."""
        ...

    def category_counts(
        self,
        ranges: Sequence[Range],
        *,
        provinces: Collection[int],
        communes: Collection[int],
        category_ids: Collection[int],
    ) -> dict[tuple[int, int, int], int]:
        """(place id, category id, index of the range) → petitions, for these places and categories only.

        A place is one of ``provinces`` (its petitions in every commune) or of ``communes``; only
        the candidate cells' places and topics are asked for, so the counts stay few at any volume.
        """
        ...


@dataclass(frozen=True)
class Params:
    min_count: int = 5
    family_alpha: float = 0.001
    windows: tuple[int, ...] = (24, 72)
    weeks: int = 8

    @classmethod
    def from_settings(cls) -> Params:
        from django.conf import settings

        return cls(
            min_count=settings.ALERTS_MIN_COUNT,
            family_alpha=settings.ALERTS_FAMILY_ALPHA,
            windows=tuple(settings.ALERTS_WINDOWS_HOURS),
            weeks=settings.ALERTS_BASELINE_WEEKS,
        )


@dataclass
class Spike:
    place_id: int
    is_province: bool
    subject: str
    window_hours: int
    window_start: dt.datetime
    window_end: dt.datetime
    observed: int
    baseline: int  # petitions in the K baseline windows together
    weeks: int
    p_value: float
    threshold: float
    pks: frozenset[int]
    #: Other subjects of the same petitions, merged into this spike.
    related: list[str] = field(default_factory=list)

    @property
    def expected(self) -> float:
        return self.baseline / self.weeks

    @property
    def subjects(self) -> list[str]:
        return [self.subject, *self.related]


def category_subject(category_id: int) -> str:
    return f"c:{category_id}"


def term_subject(term: str) -> str:
    return f"t:{term}"


def row_topics(row: Row) -> frozenset[str]:
    return row.topics if row.topics is not None else title_topics(row.title)


def row_subjects(row: Row) -> list[str]:
    return [category_subject(row.category_id), *(term_subject(t) for t in sorted(row_topics(row)))]


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """``P(X ≥ k)`` for ``X ~ Bin(n, p)``, summed exactly in log space (``math.lgamma``)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    total = 0.0
    for i in range(k, n + 1):
        term = math.exp(log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        total += term
        if i > n * p and term < total * 1e-16:
            break  # past the mode the terms only shrink
    return min(1.0, total)


def spike_p_value(observed: int, baseline: int, weeks: int) -> float:
    """The p-value of ``observed`` petitions now against ``baseline`` in ``weeks`` windows before."""
    return binomial_upper_tail(observed, observed + baseline, 1.0 / (weeks + 1))


def baseline_ranges(now: dt.datetime, hours: int, weeks: int) -> list[Range]:
    """The same ``hours`` before ``now``, 1 … ``weeks`` weeks earlier."""
    width = dt.timedelta(hours=hours)
    return [(now - dt.timedelta(weeks=k) - width, now - dt.timedelta(weeks=k)) for k in range(1, weeks + 1)]


def find_spikes(source: Source, *, now: dt.datetime, params: Params) -> list[Spike]:
    """The significant spikes at ``now``, one per place and issue (see the module's docstring)."""
    longest = max(params.windows)
    recent = source.rows([(now - dt.timedelta(hours=longest), now)])
    observed: dict[Cell, set[int]] = defaultdict(set)
    province_of: dict[int, int] = {}
    provinces: set[int] = set()
    for row in recent:
        province_of[row.commune_id] = row.province_id
        province_of[row.province_id] = row.province_id
        provinces.add(row.province_id)
        subjects = row_subjects(row)
        for hours in params.windows:
            if row.submitted_at >= now - dt.timedelta(hours=hours):
                for place in (row.province_id, row.commune_id):
                    for subject in subjects:
                        observed[(place, subject, hours)].add(row.pk)
    candidates = {cell: pks for cell, pks in observed.items() if len(pks) >= params.min_count}
    if not candidates:
        return []
    threshold = params.family_alpha / len(candidates)
    baseline = _baseline(source, candidates, province_of, now=now, params=params)

    flagged: list[Spike] = []
    for (place, subject, hours), pks in candidates.items():
        before = baseline.get((place, subject, hours), 0)
        p_value = spike_p_value(len(pks), before, params.weeks)
        if p_value <= threshold:
            flagged.append(
                Spike(
                    place_id=place,
                    is_province=place in provinces,
                    subject=subject,
                    window_hours=hours,
                    window_start=now - dt.timedelta(hours=hours),
                    window_end=now,
                    observed=len(pks),
                    baseline=before,
                    weeks=params.weeks,
                    p_value=p_value,
                    threshold=threshold,
                    pks=frozenset(pks),
                )
            )
    return merge_spikes(flagged, province_of)


def _baseline(
    source: Source,
    candidates: dict[Cell, set[int]],
    province_of: dict[int, int],
    *,
    now: dt.datetime,
    params: Params,
) -> dict[Cell, int]:
    """Each candidate cell's petitions in its baseline windows: two queries per window length."""
    counts: dict[Cell, int] = defaultdict(int)
    for hours in params.windows:
        cells = {cell for cell in candidates if cell[2] == hours}
        if not cells:
            continue
        ranges = baseline_ranges(now, hours, params.weeks)
        topics = [(place, subject) for place, subject, _h in cells if subject.startswith("c:")]
        if topics:
            places = {place for place, _subject in topics}
            asked = source.category_counts(
                ranges,
                provinces={place for place in places if province_of[place] == place},
                communes={place for place in places if province_of[place] != place},
                category_ids={int(subject[2:]) for _place, subject in topics},
            )
            for (place, category, _k), n in asked.items():
                cell = (place, category_subject(category), hours)
                if cell in cells:
                    counts[cell] += n
        terms = {subject[2:] for _place, subject, _h in cells if subject.startswith("t:")}
        if terms:
            wanted = {province_of[place] for place, subject, _h in cells if subject.startswith("t:")}
            for row in source.rows(ranges, province_ids=wanted, terms=terms):
                for subject in row_subjects(row)[1:]:
                    for place in (row.province_id, row.commune_id):
                        if (place, subject, hours) in cells:
                            counts[(place, subject, hours)] += 1
    return counts


def _overlap(a: frozenset[int], b: frozenset[int]) -> int:
    return len(a & b)


def merge_spikes(flagged: Iterable[Spike], province_of: dict[int, int]) -> list[Spike]:
    """One spike per place and issue, at the lowest place that holds it."""
    # 1. Per place and subject, the window with the smallest p-value (the shorter one on a tie).
    best: dict[tuple[int, str], Spike] = {}
    for spike in flagged:
        key = (spike.place_id, spike.subject)
        current = best.get(key)
        if current is None or (spike.p_value, spike.window_hours) < (current.p_value, current.window_hours):
            best[key] = spike
    # 2. Subjects of one place carried by the same petitions are one spike; the surest speaks for it
    #    (a topic before a word on a tie).
    by_place: dict[int, list[Spike]] = defaultdict(list)
    for spike in best.values():
        by_place[spike.place_id].append(spike)
    merged: list[Spike] = []
    for spikes in by_place.values():
        spikes.sort(key=lambda s: (s.p_value, s.subject[0], -s.observed, s.subject))
        leaders: list[Spike] = []
        for spike in spikes:
            for leader in leaders:
                if _overlap(spike.pks, leader.pks) >= SAME_PETITIONS_SHARE * min(
                    len(spike.pks), len(leader.pks)
                ):
                    leader.related.append(spike.subject)
                    break
            else:
                leaders.append(spike)
        merged.extend(leaders)
    # 3. Province against commune: a commune holding most of a province's spike takes it; commune
    #    spikes that are part of a province-wide one go to the province.
    provinces = [s for s in merged if s.is_province]
    communes = [s for s in merged if not s.is_province]
    dropped: set[int] = set()
    for province in provinces:
        inside = [
            c
            for c in communes
            if province_of.get(c.place_id) == province.place_id
            and _overlap(c.pks, province.pks) >= SAME_PETITIONS_SHARE * len(c.pks)
        ]
        if any(_overlap(c.pks, province.pks) >= COMMUNE_HOLDS_SHARE * len(province.pks) for c in inside):
            dropped.add(id(province))
        else:
            dropped.update(id(c) for c in inside)
    result = [s for s in merged if id(s) not in dropped]
    result.sort(key=lambda s: (s.p_value, s.place_id, s.subject))
    return result
