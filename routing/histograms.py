"""Histograms of durations: the daily rollups' percentiles (``routing.rollups``).

60 buckets, the first under a minute, then three per doubling (each 26 % wider than the one
before), so an estimate falls in the true value's bucket (at most 26 % off).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from routing.models import HISTOGRAM_BUCKETS

#: Lower bounds (seconds) of the buckets 1…59; bucket 0 holds durations under a minute.
BOUNDS: tuple[float, ...] = tuple(60.0 * 2 ** ((k - 1) / 3) for k in range(1, HISTOGRAM_BUCKETS))
LN2 = math.log(2)


def duration_bucket(seconds: float) -> int:
    """The histogram bucket of a duration: the same arithmetic as ``_bucket_sql``."""
    if seconds < BOUNDS[0]:
        return 0
    return min(HISTOGRAM_BUCKETS - 1, math.floor(3 * math.log(seconds / 60.0) / LN2) + 1)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """``[low, high)`` of a bucket in seconds (the open-ended last one taken as one step wide)."""
    if bucket == 0:
        return 0.0, BOUNDS[0]
    low = BOUNDS[bucket - 1]
    return low, BOUNDS[bucket] if bucket < len(BOUNDS) else low * 2 ** (1 / 3)


def histogram_percentile(histogram: Sequence[int], fraction: float) -> float | None:
    """An estimate of ``percentile_cont(fraction)`` from a histogram.

    As ``percentile_cont``, a linear interpolation between the two ranks around the fraction;
    each rank's value is placed within its bucket by its order there (geometrically: the buckets
    are log-spaced), so the estimate is off by at most a bucket's width (26 %).
    """
    total = sum(histogram)
    if not total:
        return None
    position = (total - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    at_low = _rank_value(histogram, low)
    if low == high:
        return at_low
    return at_low + (_rank_value(histogram, high) - at_low) * (position - low)


def _rank_value(histogram: Sequence[int], rank: int) -> float:
    below = 0
    for bucket, n in enumerate(histogram):
        if n and rank < below + n:
            low, high = bucket_bounds(bucket)
            within = (rank - below + 0.5) / n
            if bucket == 0:
                return low + (high - low) * within
            return float(low * (high / low) ** within)
        below += n
    return bucket_bounds(len(histogram) - 1)[1]  # pragma: no cover - rank < total always


@dataclass
class Totals:
    """The summed numbers of one group: counts exact, durations as a histogram."""

    count: int = 0
    answered: int = 0
    on_time: int = 0
    rated: int = 0
    rating_sum: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BUCKETS)

    def add(self, other: Totals) -> None:
        self.count += other.count
        self.answered += other.answered
        self.on_time += other.on_time
        self.rated += other.rated
        self.rating_sum += other.rating_sum
        self.histogram = list(map(operator.add, self.histogram, other.histogram))

    def percentile(self, fraction: float) -> float | None:
        return histogram_percentile(self.histogram, fraction)

    @classmethod
    def of(cls, numbers: Sequence[Any]) -> Totals:
        """From ``count, answered, on_time, rated, rating_sum, h00 … h59`` (NULLs as 0)."""
        count, answered, on_time, rated, rating_sum, *histogram = [n or 0 for n in numbers]
        return cls(int(count), int(answered), int(on_time), int(rated), int(rating_sum), histogram)
