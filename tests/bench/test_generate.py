"""``bench/generate.py``: where the generated petitions are (a point in their commune, or none)."""

from __future__ import annotations

import importlib
import io
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from routing.geodata import distance_km
from routing.models import Unit

# By name: bench/ is a folder of scripts, which mypy checks as top-level modules.
_Generator = importlib.import_module("bench.generate")._Generator


def test_generated_points_lie_in_their_communes_disc_and_repeat_per_seed(db: Any) -> None:
    call_command("load_units", stdout=io.StringIO())
    now = timezone.now()
    petitions, _plans = _Generator(seed=3, now=now, days=30).batch(0, 400)
    communes = {
        u.pk: u for u in Unit.objects.filter(pk__in={p["commune_id"] for p in petitions if p["latitude"]})
    }
    located = [p for p in petitions if p["latitude"] is not None]
    assert all((p["latitude"] is None) == (p["longitude"] is None) for p in petitions)
    # A third or so carry a point, as the portal's citizens who use the map.
    assert 0.25 * len(petitions) < len(located) < 0.45 * len(petitions)
    for petition in located:
        commune = communes[petition["commune_id"]]
        assert commune.latitude is not None and commune.longitude is not None
        km = distance_km(
            float(commune.latitude), float(commune.longitude), petition["latitude"], petition["longitude"]
        )
        area = float(commune.area_km2) if commune.area_km2 is not None else None
        radius = (area / 3.141592653589793) ** 0.5 if area else 1.0
        assert km <= radius + 0.0005, (commune.name, km, radius)
    # Not all at the centre: spread over the commune.
    assert len({(p["latitude"], p["longitude"]) for p in located}) == len(located)
    again, _ = _Generator(seed=3, now=now, days=30).batch(0, 400)
    assert [(p["latitude"], p["longitude"]) for p in again] == [
        (p["latitude"], p["longitude"]) for p in petitions
    ]
