"""Migration 0006's backfill copies each petition's category onto its case (both databases)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db import connection

from petitions.models import Category
from routing.models import Case

migration = importlib.import_module("routing.migrations.0006_case_category")


def test_the_backfill_fills_every_case_written_without_a_category(submit: Any, monkeypatch: Any) -> None:
    transport = Category.objects.get(code="transport")
    cases = [submit().petition.case, submit(category=transport).petition.case, submit().petition.case]
    Case.objects.update(category=None)  # as the previous release wrote them
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches over these ids
    migration.copy_categories(apps, SimpleNamespace(connection=connection))
    for case in cases:
        case.refresh_from_db()
        assert case.category_id == case.petition.category_id
    assert Case.objects.get(pk=cases[1].pk).category == transport
