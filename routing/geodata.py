"""Where each unit is: the coordinates and area of the 2025 map, from ``vietnamadminunits``.

``vietnamadminunits`` (PyPI, MIT) carries, for each of the 34 provinces and 3,321 communes of
the 2025 map, a point (a geocoded centre) and, for communes, the area in km². It has no 2025
boundaries (only bounding boxes of the units before the reform), so the maps draw points, and
areas as symbols sized from the area.

Its commune codes do not always agree with the register's (``vietnam-provinces``): 123
communes carry other codes there, and 47 codes name another commune. Communes are therefore
matched by province code and name, tone marks compared wherever the vowel carries them
(``Thuận Hoà`` is ``Thuận Hòa``, ``Cẩm Giàng`` is not ``Cẩm Giang``).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from routing.models import Level, Unit

#: Combining marks that make a letter of its own (ă, â, ê, ô, ơ, ư): kept in the base letters.
_LETTER_MARKS = "\u0306\u0302\u031b"

COORDINATE = Decimal("0.000001")
AREA = Decimal("0.01")


@dataclass(frozen=True)
class Place:
    latitude: Decimal
    longitude: Decimal
    area_km2: Decimal | None = None


def name_key(name: str) -> tuple[str, tuple[str, ...]]:
    """A name compared without case, spaces or punctuation, its tone marks wherever they sit."""
    letters: list[str] = []
    tones: list[str] = []
    for char in unicodedata.normalize("NFD", name.lower()):
        if unicodedata.combining(char) and char not in _LETTER_MARKS:
            tones.append(char)
        elif char.isalnum() or char in _LETTER_MARKS:
            letters.append("d" if char == "đ" else char)
    return unicodedata.normalize("NFC", "".join(letters)), tuple(tones)


def _decimal(value: float | None, step: Decimal) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(step)


@dataclass(frozen=True)
class Gazetteer:
    provinces: dict[int, Place]
    #: (province code, name key) -> place
    communes: dict[tuple[int, tuple[str, tuple[str, ...]]], Place]

    def province(self, code: int) -> Place | None:
        return self.provinces.get(code)

    def commune(self, province_code: int, name: str) -> Place | None:
        return self.communes.get((province_code, name_key(name)))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Every province's and commune's point in the package (read once per process)."""
    from vietnamadminunits.database import get_data

    rows = get_data(
        ["provinceCode", "provinceLat", "provinceLon", "ward", "wardLat", "wardLon", "wardAreaKm2"]
    )
    provinces: dict[int, Place] = {}
    communes: dict[tuple[int, tuple[str, tuple[str, ...]]], Place] = {}
    for row in rows:
        code = int(row["provinceCode"])
        lat, lon = _decimal(row["provinceLat"], COORDINATE), _decimal(row["provinceLon"], COORDINATE)
        if lat is not None and lon is not None:
            provinces.setdefault(code, Place(lat, lon))
        lat, lon = _decimal(row["wardLat"], COORDINATE), _decimal(row["wardLon"], COORDINATE)
        if lat is not None and lon is not None:
            communes[(code, name_key(row["ward"]))] = Place(lat, lon, _decimal(row["wardAreaKm2"], AREA))
    return Gazetteer(provinces, communes)


# --- the nearest commune to a point ------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0088
#: Farther than this from every commune's centre, a point suggests no commune (out at sea, abroad).
NEAREST_MAX_KM = 30.0


@dataclass(frozen=True)
class Nearest:
    commune: Unit
    distance_km: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def commune_nearest(
    *,
    latitude: Decimal | float,
    longitude: Decimal | float,
    province: Unit | None = None,
    max_km: float = NEAREST_MAX_KM,
) -> Nearest | None:
    """The active commune whose centre is nearest to the point, within ``max_km``.

    Only within ``province`` when one is given. Communes without coordinates are left out, so
    with no geodata loaded the answer is ``None``, never a wrong commune. A centre is not a
    boundary: near a border the suggestion may be the neighbour, so callers offer it, never impose it.
    """
    lat, lon = float(latitude), float(longitude)
    # A box around the point first (an index range on latitude), then exact distances inside it.
    dlat = max_km / 111.0
    dlon = max_km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    candidates = Unit.objects.filter(
        level=Level.COMMUNE,
        is_active=True,
        latitude__range=(Decimal(f"{lat - dlat:.6f}"), Decimal(f"{lat + dlat:.6f}")),
        longitude__range=(Decimal(f"{lon - dlon:.6f}"), Decimal(f"{lon + dlon:.6f}")),
    ).select_related("parent")
    if province is not None:
        candidates = candidates.filter(parent=province)
    best: Nearest | None = None
    for unit in candidates:
        assert unit.latitude is not None and unit.longitude is not None
        km = distance_km(lat, lon, float(unit.latitude), float(unit.longitude))
        if km <= max_km and (best is None or km < best.distance_km):
            best = Nearest(unit, km)
    return best


# --- a plausible point in a commune (demo and benchmark data) ------------------------------------

#: The radius used for a commune whose area the package does not give.
DEFAULT_SPREAD_KM = 1.0


def spread_km(area_km2: Decimal | float | None) -> float:
    """The radius of a disc as large as the commune: √(area / π) km."""
    if area_km2 is None or float(area_km2) <= 0:
        return DEFAULT_SPREAD_KM
    return math.sqrt(float(area_km2) / math.pi)


def point_near(
    *, latitude: Decimal | float, longitude: Decimal | float, radius_km: float, u: float, v: float
) -> tuple[Decimal, Decimal]:
    """The point at a uniform place (from ``u``, ``v`` in [0, 1)) of the disc of ``radius_km`` around a centre.

    The caller draws ``u`` and ``v`` from its own seeded generator, so its data stay the same
    per seed. The distance is ``radius_km · √u`` (uniform over the disc's area) along the
    bearing ``2π·v``, on the great circle: ``distance_km`` of the result is that distance.
    Rounded to the 6 decimals petitions store (about 0.1 m).
    """
    angle = radius_km * math.sqrt(u) / EARTH_RADIUS_KM
    bearing = 2 * math.pi * v
    lat1, lon1 = math.radians(float(latitude)), math.radians(float(longitude))
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return (
        Decimal(f"{math.degrees(lat2):.6f}"),
        Decimal(f"{(math.degrees(lon2) + 540) % 360 - 180:.6f}"),
    )
