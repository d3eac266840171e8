"""Loading the organisation's units from the national administrative register.

The ``vietnam-provinces`` package carries the 34 provinces and 3,321
communes in force since the 2025 reform. Loading is idempotent: units are
matched by code, renamed or moved units are updated in place, and units that
disappeared from the register are deactivated (never deleted: cases point at
them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from vietnam_provinces import Province, Ward

from routing.geodata import Place, gazetteer
from routing.models import Level, Unit, name_without_type

CENTRAL_CODE = "TW"
CENTRAL_NAME = "Trung ương"


_VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"


@functools.lru_cache(maxsize=8192)
def name_sort_key(name: str) -> tuple[tuple[int, ...], str]:
    """Vietnamese alphabetical order: ``Cà Mau`` before ``Cao Bằng``, ``Đà Nẵng`` after ``Dak``.

    Letters compare by base letter (ă, â, đ, ê, ô, ơ, ư are letters of their own),
    then tone marks break ties; other characters keep their code point. Kept per name: the
    leaders' pages sort the same 3,356 unit names on every request.
    """
    import unicodedata

    keys = []
    for char in unicodedata.normalize("NFD", name.lower()):
        if unicodedata.combining(char) and char not in "\u0306\u0302\u031b":
            continue  # tone marks: ignored here, compared last through the name itself
        keys.append(char)
    base = unicodedata.normalize("NFC", "".join(keys))
    # Syllable by syllable: a space sorts before any letter ("Cà Mau" before "Cao Bằng").
    order = [
        -1 if c == " " else _VIETNAMESE_LETTERS.index(c) if c in _VIETNAMESE_LETTERS else 100 + ord(c)
        for c in base
    ]
    return tuple(order), name


@functools.lru_cache(maxsize=8192)
def unit_sort_key(
    name: str, division_type: str = ""
) -> tuple[tuple[tuple[int, ...], str], tuple[tuple[int, ...], str]]:
    """Order of units in a list: by the name without its type, so that "Thành phố Hà Nội" comes
    under H among the provinces (not every city under T), and "Phường Ba Đình" next to "Xã Ba Vì"."""
    return name_sort_key(name_without_type(name, division_type)), name_sort_key(name)


def province_code(code: int) -> str:
    return f"P{code:02d}"


def commune_code(code: int) -> str:
    return f"W{code:05d}"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Spec:
    code: str
    name: str
    level: str
    parent_code: str | None
    admin_code: int | None
    division_type: str
    place: Place | None = None

    @property
    def geo(self) -> tuple[Any, Any, Any]:
        if self.place is None:
            return None, None, None
        return self.place.latitude, self.place.longitude, self.place.area_km2


def _register() -> list[_Spec]:
    specs = [_Spec(CENTRAL_CODE, CENTRAL_NAME, Level.CENTRAL, None, None, "")]
    places = gazetteer()
    provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
    for province in provinces:
        specs.append(
            _Spec(
                province_code(int(province.code)),
                province.name,
                Level.PROVINCE,
                CENTRAL_CODE,
                int(province.code),
                province.division_type.value,
                places.province(int(province.code)),
            )
        )
    for ward in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        specs.append(
            _Spec(
                commune_code(int(ward.code)),
                ward.name,
                Level.COMMUNE,
                province_code(int(ward.province_code)),
                int(ward.code),
                ward.division_type.value,
                places.commune(int(ward.province_code), ward.name),
            )
        )
    return specs


def _stored_geo(unit: Unit) -> tuple[Any, Any, Any]:
    """The unit's point and area as the database gives them back (fixed decimal places)."""

    def fixed(value: Any, places: int) -> Any:
        return None if value is None else Decimal(value).quantize(Decimal(1).scaleb(-places))

    return fixed(unit.latitude, 6), fixed(unit.longitude, 6), fixed(unit.area_km2, 2)


def load_units(*, progress: Callable[[Iterable[_Spec]], Iterable[_Spec]] | None = None) -> LoadReport:
    """Create or update every unit of the register; return what changed."""
    specs = _register()
    report = LoadReport()
    for spec in specs:
        report.by_level[spec.level] = report.by_level.get(spec.level, 0) + 1
    with transaction.atomic():
        existing = {unit.code: unit for unit in Unit.objects.select_for_update()}
        to_update: list[Unit] = []
        fields = ["name", "level", "parent", "admin_code", "division_type", "path", "is_active"]
        fields += ["latitude", "longitude", "area_km2"]
        # Parents come before children in ``specs``, so a parent is always known.
        iterable = progress(specs) if progress else specs
        for spec in iterable:
            parent = existing[spec.parent_code] if spec.parent_code else None
            unit = existing.get(spec.code)
            path = Unit.build_path(parent, spec.code)
            if unit is None:
                unit = Unit(
                    code=spec.code,
                    name=spec.name,
                    level=spec.level,
                    parent=parent,
                    admin_code=spec.admin_code,
                    division_type=spec.division_type,
                    path=path,
                )
                unit.latitude, unit.longitude, unit.area_km2 = spec.geo
                if spec.level == Level.COMMUNE:
                    # Communes have no children: insert them in bulk below.
                    existing[spec.code] = unit
                    report.created += 1
                    continue
                unit.save()
                existing[spec.code] = unit
                report.created += 1
                continue
            wanted = (
                spec.name,
                spec.level,
                parent.pk if parent else None,
                spec.admin_code,
                spec.division_type,
                path,
                True,
                *spec.geo,
            )
            current = (
                unit.name,
                unit.level,
                unit.parent_id,
                unit.admin_code,
                unit.division_type,
                unit.path,
                unit.is_active,
                *_stored_geo(unit),
            )
            if wanted == current:
                report.unchanged += 1
                continue
            unit.name, unit.level, unit.parent, unit.admin_code = (
                spec.name,
                spec.level,
                parent,
                spec.admin_code,
            )
            unit.division_type, unit.path, unit.is_active = spec.division_type, path, True
            unit.latitude, unit.longitude, unit.area_km2 = spec.geo
            to_update.append(unit)
            report.updated += 1
        new_communes = [u for u in existing.values() if u.pk is None]
        Unit.objects.bulk_create(new_communes, batch_size=1000)
        if to_update:
            Unit.objects.bulk_update(to_update, fields, batch_size=500)
        known = {spec.code for spec in specs}
        report.deactivated = (
            Unit.objects.filter(is_active=True).exclude(code__in=known).update(is_active=False)
        )
    return report
