"""False emerging-issue alerts on a year of normal traffic: how many per province per quarter.

    .venv/bin/python bench/alerts_false_rate.py [--provinces 6] [--communes 12] [--rate 3] [--weeks 52]

Generates 8 weeks of warm-up plus ``--weeks`` of normal background (``alerts.simulation``:
Poisson petitions per commune and day, weekly season, daytime hours, topic shares and usual
titles; no burst anywhere), keeps it in memory (``alerts.sources.MemorySource``) and runs the
real detection (``alerts.detection.find_spikes``, the settings' constants) once a day at 09:00
(``--every-hours 1``: hourly, as production's schedule).
Every alert raised is false by construction. As in ``alerts.services``, a spike matching a live
alert of its place (a shared subject) updates it instead of raising another; the benchmark
closes an alert once its spike has not been seen for 3 days (a leader closing it). Prints alerts
per province per quarter (mean and worst), the p-values and how long a run takes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=6)
    parser.add_argument("--communes", type=int, default=12, help="communes per province")
    parser.add_argument("--rate", type=float, default=3.0, help="petitions per commune per average day")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every-hours", type=int, default=24, help="hours between runs (production: 1)")
    args = parser.parse_args()

    import django

    django.setup()
    from alerts.detection import Params, find_spikes
    from alerts.simulation import TOPICS, background
    from alerts.sources import MemorySource

    params = Params.from_settings()
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    places = {p: [p * 1000 + c for c in range(1, args.communes + 1)] for p in range(1, args.provinces + 1)}
    province_of = {c: p for p, communes in places.items() for c in communes} | {p: p for p in places}
    categories = {code: i for i, code in enumerate(TOPICS, 1)}
    start = dt.datetime(2026, 1, 5, tzinfo=tz)  # a Monday
    warmup = params.weeks * 7
    days = warmup + args.weeks * 7
    t0 = time.perf_counter()
    rows = list(
        background(
            places=places,
            categories=categories,
            start=start,
            days=days,
            per_commune_per_day=args.rate,
            seed=args.seed,
        )
    )
    source = MemorySource(rows)
    generated = time.perf_counter() - t0

    live: dict[tuple[int, str], dt.datetime] = {}  # (place, subject) → last seen
    raised: list[tuple[dt.datetime, int, str, int, float]] = []
    timings: list[float] = []
    for step in range(0, (days - warmup) * 24, args.every_hours):
        now = start + dt.timedelta(days=warmup, hours=9 + step)
        live = {key: seen for key, seen in live.items() if now - seen < dt.timedelta(days=3)}
        t = time.perf_counter()
        spikes = find_spikes(source, now=now, params=params)
        timings.append(time.perf_counter() - t)
        for spike in spikes:
            keys = [(spike.place_id, subject) for subject in spike.subjects]
            if not any(key in live for key in keys):
                raised.append((now, spike.place_id, spike.subject, spike.observed, spike.p_value))
            for key in keys:
                live[key] = now

    quarters = args.weeks / 13
    per_province_quarter: Counter[tuple[int, int]] = Counter()
    for now, place, _subject, _observed, _p in raised:
        quarter = (now - start - dt.timedelta(days=warmup)).days // 91
        per_province_quarter[(province_of[place], quarter)] += 1
    cells = [per_province_quarter.get((p, q), 0) for p in places for q in range(int(quarters + 0.999))]
    print(
        f"traffic: {len(rows):,} petitions, {args.provinces} provinces × {args.communes} communes, "
        f"{args.rate}/commune/day, {args.weeks} weeks after {params.weeks} of warm-up ({generated:.1f} s)"
    )
    print(
        f"constants: min count {params.min_count}, family alpha {params.family_alpha}, "
        f"windows {params.windows} h, baseline {params.weeks} weeks"
    )
    print(
        f"runs every {args.every_hours} h: {len(timings)}, median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
    )
    print(
        f"false alerts: {len(raised)} in total, {len(raised) / args.provinces / quarters:.3f} per province per quarter "
        f"(worst province-quarter: {max(cells)}; target: at most 1)"
    )
    for now, place, subject, observed, p in raised:
        level = "province" if place in places else "commune"
        print(f"  {now:%Y-%m-%d} {level} {place} {subject} observed {observed} p={p:.2e}")


if __name__ == "__main__":
    main()
