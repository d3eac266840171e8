"""Generated traffic written to the database: a province's communes, 9 weeks of background, a burst."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from alerts.detection import Row
from alerts.simulation import background, flood_burst
from petitions.models import Category, Petition
from routing.models import Case, Level, Unit
from search.documents import search_text
from tests.conftest import Tree

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: The first run after the burst: a Tuesday morning, 9 weeks after the background starts.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
START = NOW.replace(hour=0) - dt.timedelta(weeks=9)


def write(rows: Iterable[Row]) -> list[Petition]:
    """Petitions and their cases (at the commune) for generated rows, in bulk."""
    rows = list(rows)
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r.commune_id for r in rows})}
    petitions = Petition.objects.bulk_create(
        [
            Petition(
                tracking_code=f"PA-T-{row.pk}",
                token_hash=hashlib.sha256(f"t{row.pk}".encode()).hexdigest(),
                phone="+84912345678",
                submitter_name="Nguyễn Văn An",
                category_id=row.category_id,
                province_id=row.province_id,
                commune_id=row.commune_id,
                title=row.title,
                text=row.title,
                search_text=search_text(row.title, row.title),
                submitted_at=row.submitted_at,
            )
            for row in rows
        ]
    )
    Case.objects.bulk_create(
        [
            Case(
                petition=p,
                unit=units[p.commune_id],
                category_id=p.category_id,
                submitted_at=p.submitted_at,
                updated_at=p.submitted_at,
            )
            for p in petitions
        ]
    )
    return petitions


@dataclass
class Traffic:
    places: dict[int, list[int]]  # province id → commune ids
    categories: dict[str, int]
    next_pk: int

    def burst(
        self, province: Unit, *, end: dt.datetime, count: int = 40, hours: int = 48, seed: int = 2
    ) -> list[Petition]:
        rows = flood_burst(
            province=province.pk,
            communes=self.places[province.pk],
            category=self.categories["environment"],
            end=end,
            count=count,
            hours=hours,
            seed=seed,
            first_pk=self.next_pk,
        )
        self.next_pk += count
        return write(rows)


@pytest.fixture
def traffic(tree: Tree) -> Traffic:
    """Hà Nội (10 communes) and Hồ Chí Minh (5): 9 weeks of normal background up to ``NOW``."""
    for i in range(8):
        Unit.objects.create(
            code=f"W9{i:04d}",
            name=f"Phường Thử {i}",
            level=Level.COMMUNE,
            parent=tree.hanoi,
            admin_code=90000 + i,
        )
    for i in range(4):
        Unit.objects.create(
            code=f"W8{i:04d}",
            name=f"Phường Mẫu {i}",
            level=Level.COMMUNE,
            parent=tree.hcm,
            admin_code=80000 + i,
        )
    places = {
        province.pk: list(Unit.objects.filter(parent=province).order_by("code").values_list("pk", flat=True))
        for province in (tree.hanoi, tree.hcm)
    }
    categories = dict(Category.objects.values_list("code", "pk"))
    rows = [
        row
        for row in background(
            places=places, categories=categories, start=START, days=63, per_commune_per_day=3, seed=7
        )
        if row.submitted_at < NOW
    ]
    write(rows)
    return Traffic(places, categories, next_pk=len(rows) + 1 + 10_000)
