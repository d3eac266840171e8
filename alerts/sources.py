"""Where detection reads petitions: the database (the job) or a list in memory (the benchmark).

The database source queries cases by ``submitted_at`` (the ``case_submitted_idx`` index; a case
is opened at the moment its petition is submitted) and joins each case's petition by its key:
one query per window, grouped in the database for topic counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from functools import reduce
from operator import or_

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, Value, When

from alerts.detection import Range, Row
from routing.models import Case
from search.documents import fold


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
                "petition_id",
                "submitted_at",
                "petition__province_id",
                "petition__commune_id",
                "petition__category_id",
                "petition__title",
            )
        ]

    def category_counts(self, ranges: Sequence[Range]) -> dict[tuple[int, int, int, int], int]:
        bucket = SqlCase(
            *(
                When(submitted_at__gte=a, submitted_at__lt=b, then=Value(k))
                for k, (a, b) in enumerate(ranges)
            ),
            default=Value(-1),
            output_field=IntegerField(),
        )
        grouped = (
            Case.objects.filter(_in_ranges(ranges))
            .order_by()
            .annotate(bucket=bucket)
            .values_list("petition__province_id", "petition__commune_id", "petition__category_id", "bucket")
            .annotate(n=Count("pk"))
        )
        return {(p, c, cat, k): n for p, c, cat, k, n in grouped}


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

    def category_counts(self, ranges: Sequence[Range]) -> dict[tuple[int, int, int, int], int]:
        counts: Counter[tuple[int, int, int, int]] = Counter()
        for k, (start, end) in enumerate(ranges):
            for row in self._between(start, end):
                counts[(row.province_id, row.commune_id, row.category_id, k)] += 1
        return dict(counts)
