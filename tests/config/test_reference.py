"""Reference data held per process (config.reference): read without queries, rebuilt after a change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import reference
from petitions.models import Category
from petitions.reference import CATEGORIES, active_category
from routing.deadlines import policy_for
from routing.models import Level, SLAPolicy, Unit
from routing.reference import active_commune, unit_table

pytestmark = pytest.mark.django_db


def test_a_second_read_costs_no_query(tree, category):
    assert active_category(category.code) == category
    assert active_commune(tree.hoan_kiem.code) == tree.hoan_kiem
    policy_for(Level.COMMUNE, category)
    with CaptureQueriesContext(connection) as queries:
        assert active_category(str(category.pk)) == category
        commune = active_commune(tree.hoan_kiem.pk)
        assert commune is not None
        assert commune.parent == tree.hanoi  # the province comes with it
        assert commune.ancestor_at(Level.CENTRAL) == tree.central
        policy_for(Level.COMMUNE, category)
    assert len(queries) == 0


def test_a_saved_change_is_read_at_once(category):
    assert active_category(category.code) is not None
    category.is_active = False
    category.save()
    assert active_category(category.code) is None


def test_a_queryset_update_is_read_at_once(tree):
    assert active_commune(tree.hoan_kiem.code) is not None
    Unit.objects.filter(pk=tree.hoan_kiem.pk).update(is_active=False)
    assert active_commune(tree.hoan_kiem.code) is None
    assert tree.hoan_kiem.code not in dict(unit_table().communes[tree.hanoi.code])


def test_a_new_policy_changes_the_next_deadline_at_once(category):
    before = policy_for(Level.COMMUNE, category).triage_days
    SLAPolicy.objects.update_or_create(
        level=Level.COMMUNE, category=category, defaults={"triage_days": before + 4}
    )
    assert policy_for(Level.COMMUNE, category).triage_days == before + 4
    SLAPolicy.objects.filter(level=Level.COMMUNE, category=category).delete()
    assert policy_for(Level.COMMUNE, category).triage_days == before


def test_another_process_sees_a_change_through_the_shared_version(category, monkeypatch):
    assert active_category(category.code) is not None
    # Another process edits the row: this one learns of it from the version it checks now and then.
    Category.objects.filter(pk=category.pk).update(name="Đổi tên ở nơi khác")
    monkeypatch.setattr(reference, "CHECK_SECONDS", 0.0)
    assert CATEGORIES.get().by_id[category.pk].name == "Đổi tên ở nơi khác"
    with CaptureQueriesContext(connection) as queries:
        CATEGORIES.get()  # the version has not moved since: kept
    assert len(queries) == 0


def test_a_change_the_orm_did_not_see_is_read_after_the_longest_age(category, monkeypatch):
    assert active_category(category.code) is not None
    with connection.cursor() as cursor:  # SQL by hand: no signal, no version
        cursor.execute("UPDATE petitions_category SET is_active = %s WHERE id = %s", [False, category.pk])
    assert active_category(category.code) is not None  # still the copy held
    monkeypatch.setattr(reference, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(reference, "MAX_AGE_SECONDS", 0.0)
    assert active_category(category.code) is None


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_only_when_the_change_commits(seeded):
    from django.db import transaction

    key = "reference:categories:version"
    cache.delete(key)
    with transaction.atomic():
        Category.objects.filter(code="environment").update(name="Môi trường (mới)")
        assert cache.get(key) is None  # other processes must not rebuild from the old rows now
    assert cache.get(key) is not None
