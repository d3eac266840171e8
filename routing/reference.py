"""The units and SLA policies as each process holds them (``config.reference``).

A submission reads its commune (with the province above it), the unit it is routed to and that
unit's SLA policy; every form lists the provinces and a province's communes, sorted by name. All
of it comes from here, without a query, and is rebuilt when a unit or policy changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.reference import ProcessCache, is_id
from routing.models import Level, SLAPolicy, Unit
from routing.units import unit_sort_key

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UnitTable:
    by_id: dict[int, Unit]
    by_code: dict[str, Unit]
    #: (level, national register code) → the portal's code (the lowest id, should two share one).
    by_national_code: dict[tuple[str, int], str]
    #: Active provinces as a form lists them: (code, name), by name without the type.
    provinces: Choices
    #: A province's code → its active communes, the same way.
    communes: dict[str, Choices]


def _sorted(units: list[Unit]) -> Choices:
    return tuple((unit.code, unit.name) for unit in sorted(units, key=lambda unit: unit_sort_key(unit.name)))


def _build_units() -> UnitTable:
    units = list(Unit.objects.order_by("pk"))
    by_id = {unit.pk: unit for unit in units}
    parent_field = Unit._meta.get_field("parent")
    children: dict[str, list[Unit]] = {}
    by_national_code: dict[tuple[str, int], str] = {}
    for unit in units:
        # Each unit's parent is the table's own instance: ``commune.parent`` costs no query.
        parent_field.set_cached_value(unit, by_id.get(unit.parent_id) if unit.parent_id else None)
        if unit.admin_code is not None:
            by_national_code.setdefault((unit.level, unit.admin_code), unit.code)
        if unit.level == Level.COMMUNE and unit.is_active and unit.parent_id in by_id:
            children.setdefault(by_id[unit.parent_id].code, []).append(unit)
    provinces = [unit for unit in units if unit.level == Level.PROVINCE and unit.is_active]
    return UnitTable(
        by_id=by_id,
        by_code={unit.code: unit for unit in units},
        by_national_code=by_national_code,
        provinces=_sorted(provinces),
        communes={code: _sorted(communes) for code, communes in children.items()},
    )


UNITS = ProcessCache("units", _build_units, models=("routing.Unit",))


def unit_table() -> UnitTable:
    return UNITS.get()


def active_commune(value: int | str) -> Unit | None:
    """The active commune with this id (a number) or code; None for anything else."""
    table = unit_table()
    unit = table.by_id.get(int(value)) if is_id(value) else table.by_code.get(str(value))
    return unit if unit is not None and unit.level == Level.COMMUNE and unit.is_active else None


Policies = dict[tuple[str, int | None], SLAPolicy]


def _build_policies() -> Policies:
    return {(row.level, row.category_id): row for row in SLAPolicy.objects.all()}


POLICIES = ProcessCache("sla-policies", _build_policies, models=("routing.SLAPolicy",))


def sla_policies() -> Policies:
    """Every SLA policy by (level, category id); a level's default under category None."""
    return POLICIES.get()
