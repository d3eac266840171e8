"""The public statistics from the daily rollups: the same counts as the cases, the median an estimate."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from petitions.stats import last_12_months, last_30_days, public_breakdown, public_summary
from routing.rollups import rollups_rebuild


def _figures(value):
    fields = dataclasses.asdict(value)
    median = fields.pop("median_response_days")
    fields.pop("median_estimated")
    return fields, median


@pytest.mark.parametrize("window", [last_30_days, last_12_months])
def test_the_rolled_statistics_equal_the_counted_ones(week, window):
    since = window(timezone.now())
    live = [public_summary(since=since), *public_breakdown(since=since, by="province")]
    live += public_breakdown(since=since, by="category")
    cache.clear()
    rollups_rebuild()
    rolled = [public_summary(since=since), *public_breakdown(since=since, by="province")]
    rolled += public_breakdown(since=since, by="category")
    assert len(rolled) == len(live)
    for a, b in zip(rolled, live, strict=True):
        (fields_a, median_a), (fields_b, median_b) = _figures(a), _figures(b)
        assert fields_a == fields_b
        assert a.median_estimated and not b.median_estimated
        assert (median_a is None) == (median_b is None)
        if median_b is not None:
            assert median_a == pytest.approx(median_b, rel=0.27, abs=0.1)


def test_the_statistics_page_marks_the_estimated_median(client, week, django_assert_max_num_queries):
    rollups_rebuild()
    cache.clear()
    # Per window: the summary and two breakdowns, each the rollup rows and today counted live.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("portal:portal-statistics"))
    assert response.status_code == 200
    assert "≈" in response.content.decode()
