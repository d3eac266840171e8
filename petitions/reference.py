"""The categories as each process holds them (``config.reference``): a submission reads its own here."""

from __future__ import annotations

from dataclasses import dataclass

from config.reference import ProcessCache, is_id
from petitions.models import Category


@dataclass(frozen=True)
class CategoryTable:
    by_id: dict[int, Category]
    by_code: dict[str, Category]
    #: The active ones, in the order forms list them.
    active: tuple[Category, ...]


def _build() -> CategoryTable:
    rows = list(Category.objects.order_by("position", "code"))
    return CategoryTable(
        by_id={row.pk: row for row in rows},
        by_code={row.code: row for row in rows},
        active=tuple(row for row in rows if row.is_active),
    )


def active_categories() -> tuple[Category, ...]:
    return CATEGORIES.get().active


CATEGORIES = ProcessCache("categories", _build, models=("petitions.Category",))


def active_category(value: int | str) -> Category | None:
    """The active category with this id (a number) or code; None for anything else."""
    table = CATEGORIES.get()
    row = table.by_id.get(int(value)) if is_id(value) else table.by_code.get(str(value))
    return row if row is not None and row.is_active else None
