"""The spike test and the merging of flagged cells, on generated traffic held in memory."""

from __future__ import annotations

import datetime as dt
import math

from alerts.detection import Params, Row, binomial_upper_tail, find_spikes, spike_p_value
from alerts.simulation import TOPICS, background, flood_burst
from alerts.sources import MemorySource
from tests.alerts.conftest import NOW, START

PLACES = {1: [101, 102, 103, 104, 105, 106, 107, 108, 109, 110], 2: [201, 202, 203, 204, 205]}
CATEGORIES = {code: i for i, code in enumerate(TOPICS, 1)}


def normal_traffic(seed: int = 7) -> list[Row]:
    return [
        row
        for row in background(
            places=PLACES, categories=CATEGORIES, start=START, days=63, per_commune_per_day=3, seed=seed
        )
        if row.submitted_at < NOW
    ]


def test_the_binomial_tail_is_exact_on_small_cases():
    assert binomial_upper_tail(0, 5, 0.3) == 1.0
    assert binomial_upper_tail(6, 5, 0.3) == 0.0
    assert math.isclose(binomial_upper_tail(5, 5, 0.5), 1 / 32)
    assert math.isclose(binomial_upper_tail(2, 3, 0.5), 4 / 8)
    exact = sum(math.comb(40, i) * 0.1**i * 0.9 ** (40 - i) for i in range(10, 41))
    assert math.isclose(binomial_upper_tail(10, 40, 0.1), exact, rel_tol=1e-9)


def test_a_count_with_no_history_is_judged_against_the_uncertainty_of_eight_weeks():
    # Five petitions after none in eight weeks: (1/9)^5; three are not enough for the minimum anyway.
    assert math.isclose(spike_p_value(5, 0, 8), (1 / 9) ** 5)
    # As many as the weeks before on average: not a spike at all.
    assert spike_p_value(10, 80, 8) > 0.4


def test_normal_background_raises_nothing():
    assert find_spikes(MemorySource(normal_traffic()), now=NOW, params=Params()) == []


def test_a_flood_burst_in_a_province_is_one_spike_for_that_province():
    burst = flood_burst(
        province=1, communes=PLACES[1], category=CATEGORIES["environment"], end=NOW, first_pk=10**6
    )
    spikes = find_spikes(MemorySource(normal_traffic() + burst), now=NOW, params=Params())
    assert len(spikes) == 1
    spike = spikes[0]
    assert spike.place_id == 1 and spike.is_province
    assert "t:ngập lụt" in spike.subjects
    assert f"c:{CATEGORIES['environment']}" in spike.subjects  # the topic and its word: one issue
    assert spike.observed >= 40 and spike.p_value <= spike.threshold
    assert spike.expected < 5


def test_a_burst_held_by_one_commune_is_that_communes_spike():
    burst = flood_burst(
        province=1, communes=[104], category=CATEGORIES["environment"], end=NOW, first_pk=10**6, count=12
    )
    spikes = find_spikes(MemorySource(normal_traffic() + burst), now=NOW, params=Params())
    assert [(s.place_id, s.is_province) for s in spikes] == [(104, False)]


def test_the_baseline_is_the_same_hours_of_the_same_weekdays():
    # A Monday-morning regular: 6 petitions every Monday morning for eight weeks is no spike on a
    # ninth Monday, though it is six times the average day's.
    rows = []
    pk = 1
    for week in range(9):
        monday = NOW.replace(hour=8) - dt.timedelta(days=NOW.weekday()) - dt.timedelta(weeks=week)
        for i in range(6):
            rows.append(Row(pk, monday + dt.timedelta(minutes=i), 1, 101, 1, "Chợ họp sai quy định"))
            pk += 1
    now = NOW - dt.timedelta(days=NOW.weekday()) + dt.timedelta(hours=1)  # Monday 10:00
    assert find_spikes(MemorySource(rows), now=now, params=Params()) == []
    # The same six on a Thursday, never seen on Thursdays: a spike.
    thursday = [
        Row(10_000 + i, now + dt.timedelta(days=3, minutes=i - 90), 1, 101, 1, "Chợ họp sai quy định")
        for i in range(6)
    ]
    spikes = find_spikes(MemorySource(rows + thursday), now=now + dt.timedelta(days=3), params=Params())
    assert [s.place_id for s in spikes] == [101]


def test_the_minimum_count_holds_back_small_numbers():
    rows = [
        Row(i, NOW - dt.timedelta(hours=1, minutes=i), 1, 101, 1, "Chợ họp sai quy định") for i in range(4)
    ]
    assert find_spikes(MemorySource(rows), now=NOW, params=Params(min_count=5, family_alpha=0.01)) == []
    assert find_spikes(MemorySource(rows), now=NOW, params=Params(min_count=4, family_alpha=0.01))
