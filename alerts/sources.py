"""Where detection reads petitions: the search engine or the database (the job), a list in memory (the benchmark).

Every source gives a petition as its case's id (``Row.pk``): the engine's documents are cases, and
the detection job counts what came after a closed alert from the cases.

The database source queries cases by ``submitted_at`` (the ``case_submitted_idx`` index; a case
is opened at the moment its petition is submitted) and joins each case's petition by its key:
one query per window, grouped in the database for topic counts.

The engine source (``EngineSource``, when ``SEARCH_BACKEND`` is ``engine``) reads the case index
(``search.documents.CaseDocument``): topic counts are one ``filters`` aggregation (a bucket per
window, then province, commune and topic), rows are every matching document, paged with
``search_after``. Documents carry their title's topic words, segmented at index time, so a run on
the engine never loads the segmenter, and a word is matched exactly (``topics``) where the
database can only match a superset (folded words of the title and text). The engine is as fresh as
its index: a petition indexed after a run is counted by the next one. Times are compared at the
engine's millisecond precision.

When the engine cannot answer (down, timed out, index missing, or its documents name a unit that
is not in the database), ``EngineSource`` raises ``search.base.SearchUnavailable`` and
``alerts.services.alerts_detect`` runs again on the database, with a warning in the log: an alert
must not be missed because the engine is down.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, Value, When
from elasticsearch.dsl import Q as EQ
from elasticsearch.dsl import Search
from elasticsearch.dsl.query import Query

from alerts.detection import Range, Row
from routing.models import Case, Level, Unit
from search.base import SearchUnavailable
from search.documents import fold
from search.elastic import ElasticBackend

#: Documents per page of ``EngineSource.rows``.
ENGINE_PAGE = 2_000
ENGINE_ROW_FIELDS = [
    "case_id",
    "submitted_at",
    "province_code",
    "commune_code",
    "category_id",
    "title",
    "topics",
]


def _in_ranges(ranges: Sequence[Range]) -> Q:
    # The outer bounds let the index narrow the scan; the ranges then pick the rows.
    outer = Q(submitted_at__gte=min(a for a, _b in ranges), submitted_at__lt=max(b for _a, b in ranges))
    return outer & reduce(or_, (Q(submitted_at__gte=a, submitted_at__lt=b) for a, b in ranges))


class DatabaseSource:
    def rows(
        self,
        ranges: Sequence[Range],
        *,
        province_ids: Collection[int] | None = None,
        terms: Collection[str] | None = None,
    ) -> list[Row]:
        cases = Case.objects.filter(_in_ranges(ranges)).order_by()
        if province_ids is not None:
            cases = cases.filter(petition__province_id__in=province_ids)
        if terms:
            # Whole folded words of the title or text (``Petition.search_text``): a superset of the
            # petitions whose segmented title carries the word, which detection then checks.
            cases = cases.filter(
                reduce(or_, (Q(petition__search_text__contains=f" {fold(t)} ") for t in terms))
            )
        return [
            Row(*values)
            for values in cases.values_list(
                "pk",
                "submitted_at",
                "petition__province_id",
                "petition__commune_id",
                "petition__category_id",
                "petition__title",
            )
        ]

    def category_counts(
        self,
        ranges: Sequence[Range],
        *,
        provinces: Collection[int],
        communes: Collection[int],
        category_ids: Collection[int],
    ) -> dict[tuple[int, int, int], int]:
        bucket = SqlCase(
            *(
                When(submitted_at__gte=a, submitted_at__lt=b, then=Value(k))
                for k, (a, b) in enumerate(ranges)
            ),
            default=Value(-1),
            output_field=IntegerField(),
        )
        counts: dict[tuple[int, int, int], int] = {}
        in_topics = Case.objects.filter(_in_ranges(ranges), petition__category_id__in=list(category_ids))
        for field, places in (("petition__province_id", provinces), ("petition__commune_id", communes)):
            if not places:
                continue
            grouped = (
                in_topics.filter(**{f"{field}__in": list(places)})
                .order_by()
                .annotate(bucket=bucket)
                .values_list(field, "petition__category_id", "bucket")
                .annotate(n=Count("pk"))
            )
            counts.update({(place, category, k): n for place, category, k, n in grouped})
        return counts


class EngineSource:
    """The same two questions, answered by the search engine's case index (see the module docstring)."""

    def __init__(self, backend: ElasticBackend | None = None) -> None:
        self._backend = backend if backend is not None else ElasticBackend()
        self._unit_ids: dict[str, int] | None = None

    def rows(
        self,
        ranges: Sequence[Range],
        *,
        province_ids: Collection[int] | None = None,
        terms: Collection[str] | None = None,
    ) -> list[Row]:
        filters = [_engine_in_ranges(ranges)]
        if province_ids is not None:
            codes = {pk: code for code, pk in self._units().items()}
            wanted = sorted(codes[pk] for pk in province_ids if pk in codes)
            if not wanted:
                return []
            filters.append(EQ("terms", province_code=wanted))
        if terms:
            filters.append(EQ("terms", topics=sorted(terms)))
        search = (
            Search()
            .filter(EQ("bool", filter=filters))
            # (time, case) never changes for a case: each document is read once across the pages.
            .sort("submitted_at", "case_id")
            .source(includes=ENGINE_ROW_FIELDS)
            .extra(size=ENGINE_PAGE, track_total_hits=False)
        )
        found: list[Row] = []
        after: list[Any] | None = None
        while True:
            page = search.extra(search_after=after) if after is not None else search
            hits = self._backend._send(page, "read petitions for alerts")["hits"]["hits"]
            found.extend(self._row(hit["_source"]) for hit in hits)
            if len(hits) < ENGINE_PAGE:
                return found
            after = hits[-1]["sort"]

    def category_counts(
        self,
        ranges: Sequence[Range],
        *,
        provinces: Collection[int],
        communes: Collection[int],
        category_ids: Collection[int],
    ) -> dict[tuple[int, int, int], int]:
        codes = {pk: code for code, pk in self._units().items()}
        wanted = {
            "province_code": sorted(codes[pk] for pk in provinces if pk in codes),
            "commune_code": sorted(codes[pk] for pk in communes if pk in codes),
        }
        if not category_ids or not any(wanted.values()):
            return {}
        in_places = [EQ("terms", **{field: values}) for field, values in wanted.items() if values]
        search = (
            Search()
            .filter(_engine_in_ranges(ranges))
            .filter(EQ("terms", category_id=sorted(category_ids)))
            .filter(EQ("bool", should=in_places, minimum_should_match=1))
            .extra(size=0, track_total_hits=False)
        )
        windows = search.aggs.bucket(
            "windows", "filters", filters={str(k): _engine_range(a, b) for k, (a, b) in enumerate(ranges)}
        )
        for field, values in wanted.items():
            if values:
                windows.bucket(field, "filter", EQ("terms", **{field: values})).bucket(
                    "places", "terms", field=field, size=len(values)
                ).bucket("categories", "terms", field="category_id", size=len(category_ids))
        found = self._backend._send(search, "count petitions for alerts")["aggregations"]
        counts: dict[tuple[int, int, int], int] = {}
        for k, window in found["windows"]["buckets"].items():
            for field in wanted:
                if field not in window:
                    continue
                for place in _complete(window[field], "places"):
                    for category in _complete(place, "categories"):
                        counts[(self._unit_id(place["key"]), int(category["key"]), int(k))] = int(
                            category["doc_count"]
                        )
        return counts

    def _row(self, document: dict[str, Any]) -> Row:
        topics = document.get("topics")
        return Row(
            pk=int(document["case_id"]),
            submitted_at=dt.datetime.fromisoformat(document["submitted_at"]),
            province_id=self._unit_id(document.get("province_code")),
            commune_id=self._unit_id(document.get("commune_code")),
            category_id=int(document["category_id"]),
            title=document["title"],
            # A document indexed before it carried topic words: detection segments its title.
            topics=frozenset(topics) if topics is not None else None,
        )

    def _units(self) -> dict[str, int]:
        """Province and commune code → unit id: one query per source."""
        if self._unit_ids is None:
            self._unit_ids = dict(
                Unit.objects.filter(level__in=[Level.PROVINCE, Level.COMMUNE]).values_list("code", "pk")
            )
        return self._unit_ids

    def _unit_id(self, code: Any) -> int:
        unit_id = self._units().get(str(code)) if code is not None else None
        if unit_id is None:
            # A unit recoded since its cases were indexed: the index is behind, the database is right.
            raise SearchUnavailable(f"The search index names a place the database does not know: {code!r}")
        return unit_id


def _engine_range(start: dt.datetime, end: dt.datetime) -> Query:
    return EQ("range", submitted_at={"gte": start.isoformat(), "lt": end.isoformat()})


def _engine_in_ranges(ranges: Sequence[Range]) -> Query:
    return EQ("bool", should=[_engine_range(a, b) for a, b in ranges], minimum_should_match=1)


def _complete(bucket: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The sub-buckets ``name`` of ``bucket``, which must hold all its documents (none cut or missing)."""
    buckets: list[dict[str, Any]] = bucket[name]["buckets"]
    if sum(int(b["doc_count"]) for b in buckets) != int(bucket["doc_count"]):
        raise SearchUnavailable(
            f"The search engine's {name} do not add up to their petitions ({bucket['doc_count']}): "
            "more values than the aggregation lists, or documents without one"
        )
    return buckets


class MemorySource:
    """Rows held in a list sorted by time: the benchmark's year of generated traffic."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = sorted(rows, key=lambda r: r.submitted_at)
        self._times = [r.submitted_at for r in self._rows]

    def _between(self, start: dt.datetime, end: dt.datetime) -> list[Row]:
        return self._rows[bisect.bisect_left(self._times, start) : bisect.bisect_left(self._times, end)]

    def rows(
        self,
        ranges: Sequence[Range],
        *,
        province_ids: Collection[int] | None = None,
        terms: Collection[str] | None = None,
    ) -> list[Row]:
        found = [row for start, end in ranges for row in self._between(start, end)]
        if province_ids is not None:
            found = [row for row in found if row.province_id in province_ids]
        return found

    def category_counts(
        self,
        ranges: Sequence[Range],
        *,
        provinces: Collection[int],
        communes: Collection[int],
        category_ids: Collection[int],
    ) -> dict[tuple[int, int, int], int]:
        counts: Counter[tuple[int, int, int]] = Counter()
        for k, (start, end) in enumerate(ranges):
            for row in self._between(start, end):
                if row.category_id not in category_ids:
                    continue
                if row.province_id in provinces:
                    counts[(row.province_id, row.category_id, k)] += 1
                if row.commune_id in communes:
                    counts[(row.commune_id, row.category_id, k)] += 1
        return dict(counts)
